"""Fault injection over real sockets: each fault ends the run as the route policy says,
no truncated output is ever accepted, and every call is in the stored trace."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from engine.providers.base import ProviderRegistry
from engine.providers.remote import Endpoint, RemoteProvider, TransportRetry
from engine.routing.events import ModelCall, RoutingDecision
from engine.runtime.engine import Engine
from engine.store import open_store
from engine.trace.events import NodeSucceeded
from tests.engine.routing.conftest import llm_workflow, of_type, run_with
from tests.engine.routing.mock_remote import ScriptedLocal
from tests.support.fault_server import FaultServer, fault_server
from tests.support.kinds import make_registry

RETRY = TransportRetry(initial_delay_s=0.01, max_retry_after_s=2.0, read_timeout_s=5.0)


def provider(server: FaultServer) -> RemoteProvider:
    endpoint = Endpoint("fs", server.url, ("m",), price_in=1.0, price_out=2.0)
    return RemoteProvider(endpoint, retry=RETRY)


def run_remote(server: FaultServer, route: dict[str, Any] | None = None) -> tuple[Any, list[Any]]:
    config = {"prompt": "{{ q }}", "route": {"model": "fs/m", **(route or {})}}
    return run_with([ScriptedLocal(["local answer"]), provider(server)], llm_workflow(config))


@pytest.mark.parametrize(
    ("script", "requests"),
    [(["429:0"], 2), (["503", "503"], 3), (["reset"], 2), (["503:0"], 2)],
)
def test_transient_faults_are_retried_and_the_run_succeeds(
    script: list[str], requests: int
) -> None:
    with fault_server(*script) as server:
        result, events = run_remote(server)
    assert result.outputs == {"o": "hello from the fault server"}
    assert len(server.requests) == requests
    assert len(of_type(events, "provider_retry")) == requests - 1


def test_a_long_retry_after_is_recorded_not_slept_and_falls_back() -> None:
    with fault_server("429:300") as server:
        result, events = run_remote(server)
        assert result.status == "failed" and "asks to wait 300s" in (result.error or "")
        (wait,) = of_type(events, "provider_retry")
        assert (wait.kind, wait.wait_s) == ("wait_refused", 300.0)
        server.script = ["429:300"]
        result, _ = run_remote(server, {"fallback": ["tiny"]})
    assert result.outputs == {"o": "local answer"}


def test_slow_headers_hit_the_call_deadline() -> None:
    with fault_server("slow_headers:30") as server:
        result, events = run_remote(server, {"max_latency_s": 0.5, "fallback": ["tiny"]})
    assert result.outputs == {"o": "local answer"}
    (failed, ok) = of_type(events, "model_call")
    assert failed.outcome == "error" and "deadline" in (failed.error or "")
    assert (ok.model, ok.outcome) == ("tiny", "ok")


@pytest.mark.parametrize("cut", ["cut_no_done", "cut_with_done"])
def test_a_cut_stream_is_never_accepted(cut: str) -> None:
    with fault_server(default=cut) as server:
        result, events = run_remote(server)
    assert result.status == "failed" and result.outputs == {}
    assert "before a finish reason" in (result.error or "") and len(server.requests) == 3
    assert not [e for e in events if isinstance(e, NodeSucceeded) and e.node_id == "ask"]
    (call,) = of_type(events, "model_call")
    assert call.outcome == "error" and call.completion_tokens == 0


def test_malformed_chunks_fail_clearly_then_the_chain_continues() -> None:
    with fault_server("malformed") as server:
        result, events = run_remote(server, {"fallback": ["tiny"]})
    assert result.outputs == {"o": "local answer"} and len(server.requests) == 1
    assert "malformed response" in (of_type(events, "model_call")[0].error or "")


def test_nothing_is_lost_routing_events_are_stored_and_decoded(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "runs.db"))
    with fault_server("503") as server:
        registry = ProviderRegistry([ScriptedLocal(["l"]), provider(server)])
        engine = Engine(make_registry(), registry, store, use_cache=False)
        config = {"prompt": "{{ q }}", "route": {"model": "fs/m"}}
        result = asyncio.run(engine.run(llm_workflow(config), {}))
    stored = store.events(result.run_id)
    store.close()
    assert [type(e) for e in stored if isinstance(e, RoutingDecision | ModelCall)] == [
        RoutingDecision,
        ModelCall,
    ]
    call = next(e for e in stored if isinstance(e, ModelCall))
    assert call.cost_usd > 0 and call.cost_usd == pytest.approx(result.cost_usd)
