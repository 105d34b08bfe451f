"""Approval mailbox storage shared by the store backends: row conversion and the rules
(a request is stored once; a decision lands only on a pending request)."""

from __future__ import annotations

import time
from typing import Any

from engine.approvals.model import ApprovalDecision, ApprovalRecord, ApprovalRequest
from engine.store.errors import StoreError
from engine.store.rows import dump_json, load_json


class ApprovalConflict(StoreError):
    """The request is unknown or was already decided."""


def request_row(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id,
        "run_id": request.run_id,
        "node_id": request.node_id,
        "status": "pending",
        "request_json": dump_json(request.to_json()),
        "decision_json": None,
        "created_at": request.created_at,
        "decided_at": None,
    }


def record(row: Any) -> ApprovalRecord:
    decision = load_json(row["decision_json"]) if row["decision_json"] else None
    return ApprovalRecord(
        ApprovalRequest.from_json(load_json(row["request_json"])),
        row["status"],
        ApprovalDecision.from_json(decision) if decision else None,
    )


def decision_values(decision: ApprovalDecision) -> dict[str, Any]:
    status = "expired" if decision.by_deadline else "approved" if decision.approved else "rejected"
    return {
        "status": status,
        "decision_json": dump_json(decision.to_json()),
        "decided_at": decision.decided_at or time.time(),
    }


def check_decidable(request_id: str, current: ApprovalRecord | None) -> ApprovalRecord:
    if current is None:
        raise ApprovalConflict(f"no approval request {request_id!r}")
    if current.status != "pending":
        decided = current.decision
        who = f" by {decided.decider}" if decided else ""
        raise ApprovalConflict(
            f"approval {request_id} for node {current.request.node_id!r} was already "
            f"decided ({current.status}{who}); a decision cannot be changed"
        )
    return current
