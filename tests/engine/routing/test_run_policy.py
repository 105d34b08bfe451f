"""A run keeps the policy it started with: flipping the process's offline switch while a
run is going changes the next run, never the one in flight, and the trace records it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from engine.providers.base import ProviderRegistry
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from engine.trace.events import NodeStarted, RunEvent, RunStarted
from tests.engine.helpers import wf
from tests.engine.routing.mock_remote import Recorder, ScriptedLocal, remote, sse
from tests.support.kinds import make_registry


def wait_then_ask() -> Any:
    return wf(
        [
            {"id": "wait", "kind": "test_sleep", "config": {"seconds": 0.2, "inputs": []}},
            {
                "id": "ask",
                "kind": "llm",
                "config": {"inputs": ["q"], "prompt": "{{ q }}", "route": {"model": "ep/big"}},
            },
            {"id": "o", "kind": "output"},
        ],
        [("wait.out", "ask.q"), ("ask.text", "o.value")],
    )


def test_the_offline_switch_affects_the_next_run_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERLOCK_OFFLINE", raising=False)
    rec = Recorder([(200, sse("from the endpoint"), {})])
    providers = ProviderRegistry([ScriptedLocal(["local"]), remote(rec)])

    def engine(**kwargs: Any) -> Engine:
        return Engine(make_registry(), providers, MemoryRunStore(), use_cache=False, **kwargs)

    def go_offline_meanwhile(event: RunEvent) -> None:
        if isinstance(event, NodeStarted) and event.node_id == "wait":
            monkeypatch.setenv("INTERLOCK_OFFLINE", "1")  # the app's toggle, mid-run

    events: list[Any] = []
    first = asyncio.run(
        engine().run(wait_then_ask(), {}, subscribers=[go_offline_meanwhile, events.append])
    )
    assert first.status == "succeeded", first.error
    assert first.outputs == {"o": "from the endpoint"} and len(rec.requests) == 1
    assert [e.offline for e in events if isinstance(e, RunStarted)] == [False]

    events.clear()
    second = asyncio.run(engine().run(wait_then_ask(), {}, subscribers=[events.append]))
    assert second.status == "failed" and "offline" in (second.error or "")
    assert len(rec.requests) == 1
    assert [e.offline for e in events if isinstance(e, RunStarted)] == [True]

    # An engine told its runs are online keeps them online whatever the process says.
    third = asyncio.run(engine(offline=False).run(wait_then_ask(), {}))
    assert third.status == "succeeded" and len(rec.requests) == 2
