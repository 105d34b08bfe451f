"""End to end on real models: the bundled SmolLM2 locally and a real llama_cpp.server on
127.0.0.1 as the remote endpoint.

To make the local attempt fail its schema honestly and deterministically, the local model
runs without a grammar (the catalog's `validate_retry` strategy: generate freely, validate,
retry once): SmolLM2-135M then wraps the JSON in prose and adds fields, breaking a strict
schema twice. The endpoint enforces the schema with a grammar (`response_format`), so the
escalated call succeeds.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from engine.providers.base import ProviderRegistry
from engine.providers.local import LocalProvider
from engine.providers.remote import Endpoint, RemoteProvider
from engine.providers.remote.resilience import TransportRetry
from engine.routing.events import ModelCall, RoutingDecision
from engine.runtime.engine import Engine
from engine.store import open_store
from engine.trace.events import NodeSucceeded
from local_models import ModelCatalog
from tests.engine.helpers import wf
from tests.engine.routing.conftest import llm_workflow
from tests.support.fault_server import fault_server
from tests.support.kinds import make_registry

pytestmark = [pytest.mark.slow, pytest.mark.model]

LOCAL = "smollm2-135m-instruct"
SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "string", "enum": ["ZX-41", "QQ-07"]}},
    "required": ["code"],
    "additionalProperties": False,
}
PROMPT = "Pick the code for: {{ q }}"
SECRET = "patient 4711 has condition XQ"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Any:
    catalog = ModelCatalog(tmp_path_factory.mktemp("data"))
    catalog.update_profile(LOCAL, json_strategy="validate_retry")  # no grammar, see above
    provider = LocalProvider(catalog)
    yield provider
    provider.close()


def engine_for(store: Any, *providers: Any) -> Engine:
    return Engine(make_registry(), ProviderRegistry(list(providers), LOCAL), store, use_cache=False)


def escalating(route: dict[str, Any] | None = None) -> Any:
    config = {
        "prompt": PROMPT,
        "output_schema": SCHEMA,
        "max_tokens": 48,
        "route": {"escalate": {"on_schema_failure": True}, **(route or {})},
    }
    return llm_workflow(config)


def test_schema_failure_escalates_to_the_real_server(
    llama_server: str, local: Any, tmp_path: Path
) -> None:
    lab = RemoteProvider(Endpoint("lab", llama_server, ("smollm2",), 0.5, 1.5, context=2048))
    store = open_store(str(tmp_path / "runs.db"))
    engine = engine_for(store, local, lab)
    # The endpoint named as the rung (auto would try the bigger local model first).
    route = {"escalate": {"on_schema_failure": True, "to": "lab/smollm2"}}
    result = asyncio.run(engine.run(escalating(route), {"q": "order #1234 shipped late."}))
    events = store.events(result.run_id)
    store.close()
    assert result.status == "succeeded", result.error
    assert json.loads(result.outputs["o"])["code"] in ("ZX-41", "QQ-07")
    calls = [e for e in events if isinstance(e, ModelCall)]
    assert [(c.model, c.outcome) for c in calls] == [
        (LOCAL, "schema_failed"),
        ("lab/smollm2", "ok"),
    ]
    assert "additional" in (calls[0].error or "").lower() or "JSON" in (calls[0].error or "")
    assert calls[0].cost_usd == 0 and calls[0].duration_s > 0
    assert calls[1].cost_usd == pytest.approx(
        (calls[1].prompt_tokens * 0.5 + calls[1].completion_tokens * 1.5) / 1e6
    )
    decisions = [e for e in events if isinstance(e, RoutingDecision)]
    assert [(d.phase, d.trigger, d.chosen) for d in decisions] == [
        ("initial", None, LOCAL),
        ("escalation", "schema", "lab/smollm2"),
    ]
    (done,) = [e for e in events if isinstance(e, NodeSucceeded) and e.node_id == "ask"]
    assert done.model == "lab/smollm2" and result.cost_usd == pytest.approx(calls[1].cost_usd)


def test_real_logprobs_drive_low_confidence_escalation(llama_server: str, local: Any) -> None:
    mid = RemoteProvider(Endpoint("mid", llama_server, ("smollm2",), 0.1, 0.1, "standard", 2048))
    top = RemoteProvider(Endpoint("top", llama_server, ("smollm2",), 1.0, 1.0, "hard", 2048))
    config = {
        "prompt": "Write one word about {{ q }}.",
        "max_tokens": 8,
        "route": {"min_quality": "standard", "escalate": {"min_confidence": 0.999}},
    }
    events: list[Any] = []
    engine = engine_for(None, local, mid, top)
    result = asyncio.run(
        engine.run(
            llm_workflow(config, {"allowed_models": ["mid/*", "top/*"]}),
            {"q": "the sea"},
            subscribers=[events.append],
        )
    )
    calls = [e for e in events if isinstance(e, ModelCall)]
    assert result.status == "succeeded"
    assert (calls[0].model, calls[0].outcome) == ("mid/smollm2", "low_confidence")
    assert calls[0].confidence is not None and 0 < calls[0].confidence < 0.999
    assert calls[1].model == "top/smollm2"
    assert calls[1].confidence is None  # the top rung is judged by nobody: no logprobs asked
    assert [c.logprobs for c in calls] == [True, False]  # as the trace records them


def test_concurrent_streams_on_one_server_each_finish_in_one_request(llama_server: str) -> None:
    """Two llm nodes run at once against one llama_cpp.server: each stream ends with a
    finish reason in its first request. (With the server's default `interrupt_requests`,
    the first stream is cut short when the second request arrives; Interlock reports that
    as a truncated stream, and with no retries allowed here the node would fail.)"""
    lab = RemoteProvider(
        Endpoint("lab", llama_server, ("smollm2",), 0.1, 0.1, context=2048),
        retry=TransportRetry(max_attempts=1),
    )
    config = {"prompt": "Write a sentence about {{ q }}.", "max_tokens": 48, "model": "lab/smollm2"}
    workflow = wf(
        [
            {"id": "q", "kind": "input"},
            {"id": "a", "kind": "llm", "config": {"inputs": ["q"], **config}},
            {"id": "b", "kind": "llm", "config": {"inputs": ["q"], **config}},
            {"id": "j", "kind": "join", "config": {"inputs": ["a", "b"]}},
            {"id": "o", "kind": "output"},
        ],
        [("q.value", "a.q"), ("q.value", "b.q"), ("a.text", "j.a"), ("b.text", "j.b"),
         ("j.value", "o.value")],
        inputs=[{"name": "q", "default": "the sea"}],
        policy={"max_parallelism": 2, "allowed_models": ["lab/*"]},
    )  # fmt: skip
    events: list[Any] = []
    engine = engine_for(None, lab)
    result = asyncio.run(engine.run(workflow, {}, subscribers=[events.append]))
    assert result.status == "succeeded", [e for e in events if e.type == "node_failed"]
    llm_nodes = {"a", "b"}
    starts = sorted(
        (e.seq, e.node_id) for e in events if e.type == "node_started" and e.node_id in llm_nodes
    )
    ends = {e.node_id: e.seq for e in events if e.type == "node_succeeded"}
    assert starts[1][0] < ends[starts[0][1]]  # the second call began before the first ended
    calls = [e for e in events if isinstance(e, ModelCall)]
    assert len(calls) == 2 and all(c.outcome == "ok" for c in calls)


def test_local_only_payload_never_reaches_the_endpoint(local: Any) -> None:
    with fault_server(default='ok_json:{"code": "ZX-41"}') as server:
        remote = RemoteProvider(Endpoint("fs", server.url, ("m",), 1.0, 1.0))
        route = {"sensitivity": "local_only", "escalate": {"to": "fs/m"}, "fallback": ["fs/m"]}
        events: list[Any] = []
        engine = engine_for(None, local, remote)
        result = asyncio.run(
            engine.run(escalating(route), {"q": SECRET}, subscribers=[events.append])
        )
        assert result.status == "failed"  # local failed its schema; escalation refused
        assert server.connections == 0 and server.requests == []
        assert not any(SECRET in body for body in server.bodies())
    escalation = [e for e in events if isinstance(e, RoutingDecision)][-1]
    assert escalation.chosen is None
    assert "local_only data never leaves" in escalation.candidates[0]["rejected"]
