"""Approval nodes in-process: decisions, edits, rejection routing, deadlines, pausing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from engine.approvals import ApprovalDecision, ApprovalRecord, ApprovalRequest
from engine.approvals.validate import check_decision
from engine.runtime.approval_gate import Approver, defer
from engine.runtime.engine import Engine, RunResult
from engine.store.memory import MemoryRunStore
from engine.trace.events import ApprovalDecided, ApprovalRequested, NodeWaiting, RunEvent
from tests.engine.helpers import wf
from tests.support.kinds import make_registry

SCHEMA = {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]}


def gated(**gate_config: Any) -> Any:
    gate = {
        "id": "gate",
        "kind": "approval",
        "config": {"title": "Send to {{ proposed.to }}?", "output_schema": SCHEMA, **gate_config},
    }
    policy = gate_config.pop("policy", None)
    if policy:
        gate["policy"] = policy
        gate["config"].pop("policy")
    return wf(
        [
            {"id": "msg", "kind": "input"},
            gate,
            {"id": "sent", "kind": "output"},
            {"id": "why", "kind": "output"},
        ],
        [("msg.value", "gate.in"), ("gate.approved", "sent.value"), ("gate.rejected", "why.value")],
        inputs=[{"name": "msg", "type": "object", "default": {"to": "ana"}}],
    )


def run_with(
    approver: Approver, workflow: Any, store: MemoryRunStore | None = None
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    engine = Engine(make_registry(), store=store or MemoryRunStore(), approver=approver)
    return asyncio.run(engine.run(workflow, {}, subscribers=[events.append])), events


def answer(decision: ApprovalDecision) -> Approver:
    async def approver(record: ApprovalRecord) -> ApprovalDecision:
        assert record.request.title == "Send to ana?"
        return decision

    return approver


def test_approve_passes_the_proposed_value_and_records_both_events() -> None:
    result, events = run_with(answer(ApprovalDecision("approve", "ana", "ok")), gated())
    assert result.outputs == {"sent": {"to": "ana"}, "why": None}
    assert result.output_states == {"sent": "succeeded", "why": "skipped"}
    requested = [e for e in events if isinstance(e, ApprovalRequested)]
    decided = [e for e in events if isinstance(e, ApprovalDecided)]
    assert len(requested) == len(decided) == 1
    assert decided[0].decider == "ana" and decided[0].original == {"to": "ana"}


def test_edit_replaces_the_output_and_keeps_the_original() -> None:
    result, events = run_with(
        answer(ApprovalDecision("edit", "ana", "fix", {"to": "bob"})), gated()
    )
    assert result.outputs == {"sent": {"to": "bob"}, "why": None}
    (decided,) = [e for e in events if isinstance(e, ApprovalDecided)]
    assert (decided.original, decided.edited_value) == ({"to": "ana"}, {"to": "bob"})


def test_edit_that_fails_the_schema_is_refused() -> None:
    request = ApprovalRequest(run_id="r", node_id="n", schema=SCHEMA)
    problem = check_decision(request, ApprovalDecision("edit", "ana", edited_value={"too": 1}))
    assert problem is not None and "'to' is a required property" in problem
    result, _ = run_with(answer(ApprovalDecision("edit", "ana", edited_value=[])), gated())
    assert result.status == "failed" and "does not match the schema" in (result.error or "")


def test_reject_fails_the_run_by_default_and_routes_when_asked() -> None:
    result, _ = run_with(answer(ApprovalDecision("reject", "ana", "no")), gated())
    assert result.status == "failed" and "rejected by ana: no" in (result.error or "")
    result, _ = run_with(
        answer(ApprovalDecision("reject", "ana", "no")), gated(policy={"on_error": "route"})
    )
    assert result.status == "succeeded"
    assert result.outputs["why"]["comment"] == "no" and result.outputs["sent"] is None
    assert result.nodes["sent"] == "skipped"


def test_required_comment_and_approver_are_enforced() -> None:
    request = ApprovalRequest(run_id="r", node_id="n", comment_required=True, approver="lead")
    assert "comment is required" in (
        check_decision(request, ApprovalDecision("approve", "lead")) or ""
    )
    assert "must be decided by 'lead'" in (
        check_decision(request, ApprovalDecision("approve", "intern", "fine")) or ""
    )
    assert check_decision(request, ApprovalDecision("approve", "lead", "fine")) is None


async def never(record: ApprovalRecord) -> ApprovalDecision:
    await asyncio.sleep(3600)
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("default", "status", "output"),
    [
        ("approve", "succeeded", {"sent": {"to": "ana"}, "why": None}),
        ("reject", "failed", {}),
        ("fail", "failed", {}),
    ],
)
def test_deadline_applies_the_default_decision(
    default: str, status: str, output: dict[str, Any]
) -> None:
    result, events = run_with(never, gated(deadline_s=0.05, default_decision=default))
    assert result.status == status and result.outputs == output
    (decided,) = [e for e in events if isinstance(e, ApprovalDecided)]
    assert decided.by_deadline and decided.decider == "deadline"


def test_deferred_approval_pauses_only_its_branch_then_resumes_with_the_decision() -> None:
    store = MemoryRunStore()
    workflow = wf(
        [
            {"id": "msg", "kind": "input"},
            {"id": "gate", "kind": "approval", "config": {}},
            {"id": "after", "kind": "template", "config": {"template": "sent {{ in }}"}},
            {"id": "free", "kind": "template", "config": {"template": "free {{ in }}"}},
            {"id": "o1", "kind": "output"},
            {"id": "o2", "kind": "output"},
        ],
        [
            ("msg.value", "gate.in"),
            ("gate.approved", "after.in"),
            ("after.text", "o1.value"),
            ("msg.value", "free.in"),
            ("free.text", "o2.value"),
        ],
        inputs=[{"name": "msg", "default": "hi"}],
    )
    first, events = run_with(defer, workflow, store)
    assert first.status == "waiting_approval"
    assert first.outputs == {"o2": "free hi"} and first.nodes["gate"] == "waiting"
    assert "after" not in first.nodes
    assert any(isinstance(e, NodeWaiting) for e in events)
    assert store.get_run(first.run_id).status == "waiting_approval"  # type: ignore[union-attr]
    (pending,) = store.list_approvals()
    store.decide_approval(pending.request_id, ApprovalDecision("edit", "ana", "", "HELLO"))
    resumed_events: list[RunEvent] = []
    engine = Engine(make_registry(), store=store, approver=defer)
    second = asyncio.run(engine.resume(first.run_id, subscribers=[resumed_events.append]))
    assert second.status == "succeeded"
    assert second.outputs == {"o1": "sent HELLO", "o2": "free hi"}
    rerun = {e.node_id for e in resumed_events if e.type == "node_started"}
    assert rerun == {"gate", "after", "o1"}  # nothing that had completed ran again
    assert [e.type for e in resumed_events if e.type.startswith("approval")] == ["approval_decided"]


def test_requests_and_decisions_are_in_the_audit_trail() -> None:
    store = MemoryRunStore()
    run_with(answer(ApprovalDecision("edit", "ana", "fix", {"to": "bob"})), gated(), store)
    entries = [(e.action, e.outcome, e.user, e.node_id) for e in store.audit_entries()]
    assert entries == [
        ("approval_request", "requested", None, "gate"),
        ("approval_decision", "approved", "ana", "gate"),
    ]
    assert store.audit_entries()[1].detail["edited"] is True
