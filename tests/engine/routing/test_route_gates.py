"""Route policy gates: data leaving the machine, or a costly call, waits for a person —
through the same approval requests as approval nodes and tool rules."""

from __future__ import annotations

import asyncio
from typing import Any

from engine.approvals import ApprovalDecision, ApprovalRecord
from engine.providers.base import ProviderRegistry
from engine.runtime.approval_gate import defer
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from engine.trace.events import RunEvent
from tests.engine.routing.conftest import llm_workflow, of_type
from tests.engine.routing.mock_remote import Recorder, ScriptedLocal, remote, sse
from tests.support.kinds import make_registry


def run_gated(route: dict[str, Any], approver: Any, rec: Recorder, local: list[str]) -> Any:
    events: list[RunEvent] = []
    registry = ProviderRegistry([ScriptedLocal(local), remote(rec)])
    store = MemoryRunStore()
    engine = Engine(make_registry(), registry, store, use_cache=False, approver=approver)
    workflow = llm_workflow({"prompt": "{{ q }}", "route": route})
    result = asyncio.run(engine.run(workflow, {}, subscribers=[events.append]))
    return result, events, store


def answer(verdict: str, seen: list[ApprovalRecord]) -> Any:
    async def approver(record: ApprovalRecord) -> ApprovalDecision:
        seen.append(record)
        return ApprovalDecision(verdict, "ana", "checked")  # type: ignore[arg-type]

    return approver


def test_remote_call_waits_for_approval_and_runs_when_approved() -> None:
    rec, seen = Recorder([(200, sse("remote answer"), {})]), []
    result, events, _ = run_gated(
        {"tier": "hard", "approve_remote": "always"}, answer("approve", seen), rec, ["x"]
    )
    assert result.outputs == {"o": "remote answer"} and len(rec.requests) == 1
    (record,) = seen
    assert record.request.kind == "policy_gate" and record.request.proposed["remote"] is True
    assert "remote model needs approval" in (record.request.rule or "")
    assert [e.type for e in events if e.type.startswith("approval")] == [
        "approval_requested",
        "approval_decided",
    ]


def test_rejected_remote_call_never_sends_and_falls_back_locally() -> None:
    rec, seen = Recorder([(200, sse("remote answer"), {})]), []
    result, events, _ = run_gated(
        {"tier": "hard", "approve_remote": "always", "fallback": ["tiny"]},
        answer("reject", seen),
        rec,
        ["local answer"],
    )
    assert rec.requests == []  # nothing left the machine
    assert result.outputs == {"o": "local answer"}
    assert [(c.model, c.outcome) for c in of_type(events, "model_call")] == [("tiny", "ok")]
    decisions = [(d.phase, d.chosen) for d in of_type(events, "routing_decision")]
    assert decisions == [("initial", "ep/big"), ("fallback", "tiny")]


def test_costly_call_pauses_the_run_when_deferred() -> None:
    rec = Recorder([(200, sse("remote answer"), {})])
    result, _, store = run_gated({"tier": "hard", "approve_above_usd": 0.0}, defer, rec, ["x"])
    assert result.status == "waiting_approval" and rec.requests == []
    (pending,) = store.list_approvals()
    assert "estimated cost above" in (pending.request.rule or "")
