"""Fixtures for the run store tests: a `store` parametrized over every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.store import MemoryRunStore, RunStore, SqliteRunStore

BACKENDS = ["memory", "sqlite"]


def make_store(backend: str, tmp_path: Path) -> RunStore:
    if backend == "memory":
        return MemoryRunStore()
    return SqliteRunStore(tmp_path / "runs.db")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    s = make_store(request.param, tmp_path)
    yield s
    s.close()
