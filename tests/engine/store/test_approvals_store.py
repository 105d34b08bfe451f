"""The approvals mailbox, on every store backend: stored once, decided once."""

from __future__ import annotations

import pytest

from engine.approvals import ApprovalDecision, ApprovalRequest
from engine.store import RunStore, StoreError
from engine.store.approvals import ApprovalConflict
from tests.engine.store.runs import run_life


def request(node: str = "gate", key: str = "") -> ApprovalRequest:
    return ApprovalRequest(
        run_id="r1",
        node_id=node,
        title="Send?",
        proposed={"to": "x"},
        key=key,
        schema={"type": "object"},
    )


@pytest.fixture
def started(store: RunStore) -> RunStore:
    store.append_events(run_life()[:1])
    return store


def test_a_request_is_stored_once(started: RunStore) -> None:
    first = started.put_approval(request())
    again = started.put_approval(request())
    assert first == again and first.status == "pending" and first.decision is None
    assert first.request.proposed == {"to": "x"} and first.request.schema == {"type": "object"}
    assert [r.request_id for r in started.list_approvals()] == [first.request_id]


def test_decisions_land_once_and_cannot_be_changed(started: RunStore) -> None:
    rid = started.put_approval(request()).request_id
    decided = started.decide_approval(rid, ApprovalDecision("edit", "ana", "tweak", {"to": "y"}))
    assert decided.status == "approved"
    assert decided.decision is not None and decided.decision.edited_value == {"to": "y"}
    with pytest.raises(ApprovalConflict, match="already decided \\(approved by ana\\)"):
        started.decide_approval(rid, ApprovalDecision("reject", "bob"))
    assert started.get_approval(rid) == decided
    assert started.put_approval(request()) == decided  # a re-request sees the decision
    assert started.list_approvals() == []
    assert started.list_approvals(status=None) == [decided]


def test_unknown_request_and_unknown_run_are_refused(started: RunStore) -> None:
    with pytest.raises(ApprovalConflict, match="no approval request"):
        started.decide_approval("nope", ApprovalDecision("approve", "ana"))
    with pytest.raises(StoreError):
        started.put_approval(ApprovalRequest(run_id="ghost", node_id="n"))


def test_status_reflects_the_decision(started: RunStore) -> None:
    a = started.put_approval(request("a")).request_id
    b = started.put_approval(request("b")).request_id
    c = started.put_approval(request("c")).request_id
    started.decide_approval(a, ApprovalDecision("reject", "ana"))
    started.decide_approval(b, ApprovalDecision("approve", "deadline", by_deadline=True))
    statuses = {r.request.node_id: r.status for r in started.list_approvals(status=None)}
    assert statuses == {"a": "rejected", "b": "expired", "c": "pending"}
    assert [r.request_id for r in started.list_approvals(run_id="r1")] == [c]
    assert started.list_approvals(run_id="other") == []
