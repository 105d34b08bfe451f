"""Routing tests: a private config file, no OS keyring (keys from the environment), and
helpers to run one-llm-node workflows against given providers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from engine.providers.base import Provider, ProviderRegistry
from engine.runtime.engine import Engine, RunResult
from engine.store.memory import MemoryRunStore
from engine.trace.events import RunEvent
from tests.engine.helpers import wf
from tests.support.kinds import make_registry
from tests.support.llama_server import llama_server_in


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("INTERLOCK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("INTERLOCK_OFFLINE", raising=False)
    import keyring.core

    keyring.core._keyring_backend = None  # re-read PYTHON_KEYRING_BACKEND
    yield
    keyring.core._keyring_backend = None


def llm_workflow(config: dict[str, Any], policy: dict[str, Any] | None = None, **node: Any) -> Any:
    return wf(
        [
            {"id": "q", "kind": "input"},
            {"id": "ask", "kind": "llm", "config": {"inputs": ["q"], **config}, **node},
            {"id": "o", "kind": "output"},
        ],
        [("q.value", "ask.q"), ("ask.text", "o.value")],
        inputs=[{"name": "q", "default": "why?"}],
        policy=policy or {},
    )


def run_with(
    providers: Sequence[Provider],
    workflow: Any,
    default_model: str | None = None,
    inputs: dict[str, Any] | None = None,
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    registry = ProviderRegistry(list(providers), default_model=default_model)
    engine = Engine(make_registry(), registry, MemoryRunStore(), use_cache=False)
    result = asyncio.run(engine.run(workflow, inputs or {}, subscribers=[events.append]))
    return result, events


def of_type(events: list[RunEvent], name: str) -> list[Any]:
    return [e for e in events if e.type == name]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama_cpp.server on SmolLM2) on 127.0.0.1; its /v1 URL."""
    with llama_server_in(tmp_path_factory.mktemp("llama-server")) as url:
        yield url
