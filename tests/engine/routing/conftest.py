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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama_cpp.server on SmolLM2) on 127.0.0.1; its /v1 URL."""
    import subprocess
    import sys
    import time

    import httpx

    from local_models.bundled import smollm2_path

    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()),
             "--port", str(port), "--host", "127.0.0.1", "--n_ctx", "2048",
             # Its default cuts a stream short when another request arrives (docs/endpoints.md).
             "--interrupt_requests", "False"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not come up within 180 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
