"""Report test fixtures: the sample runs, made once per module on real SQLite stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.store.sqlite import SqliteRunStore
from tests.engine.reports import runs


@dataclass
class Runs:
    store: SqliteRunStore
    resumed_store: SqliteRunStore
    rich: str
    failed: str
    approval: str
    resumed: str
    base: Path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    base = tmp_path_factory.mktemp("report-runs")
    store = runs.store_at(base / "runs.db")
    other = runs.store_at(base / "resumed.db")
    made = Runs(
        store=store,
        resumed_store=other,
        rich=runs.rich_run(store, base).run_id,
        failed=runs.failed_run(store, base).run_id,
        approval=runs.approval_run(store),
        resumed=runs.crashed_and_resumed(store, other),
        base=base,
    )
    yield made
    store.close()
    other.close()
