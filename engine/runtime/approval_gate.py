"""The approval gate a run's nodes call: persist the request, ask the attached approver,
apply deadlines and record the decision, or pause the node until someone decides.

Approvers: `deny` (fail closed), `defer` (pause; decide later with `interlock approve`),
`wait` (poll the store for a decision made elsewhere), `prompt` (ask on the terminal), or
any async callable (the desktop's dialog, tests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from engine.approvals.model import ApprovalDecision, ApprovalRecord, ApprovalRequest
from engine.approvals.validate import check_decision
from engine.audit.chain import AuditEntry
from engine.audit.redact import redact
from engine.errors import NodeError
from engine.store.protocol import RunStore
from engine.trace.events import ApprovalDecided, ApprovalRequested, EventBus

Approver = Callable[[ApprovalRecord], Awaitable["ApprovalDecision | None"]]
"""Answers a pending request, or returns None to pause the run until a later decision."""


class AwaitingApproval(BaseException):
    """Raised through a node when its request must wait; the runtime pauses the node."""

    def __init__(self, request_id: str) -> None:
        super().__init__(request_id)
        self.request_id = request_id


async def deny(record: ApprovalRecord) -> ApprovalDecision:
    return ApprovalDecision("reject", "policy:deny", "no approver attached (fail closed)")


async def defer(record: ApprovalRecord) -> ApprovalDecision | None:
    return None


def waiting_for(store: RunStore, poll_s: float = 0.25) -> Approver:
    """An approver that waits for a decision recorded by another process."""

    async def wait(record: ApprovalRecord) -> ApprovalDecision | None:
        while True:
            current = store.get_approval(record.request_id)
            if current is not None and current.decision is not None:
                return current.decision
            await asyncio.sleep(poll_s)

    return wait


class ApprovalService:
    """One per run: `request` is what nodes get as `ctx.request_approval`."""

    def __init__(
        self,
        bus: EventBus,
        store: RunStore | None,
        approver: Approver,
        announced: set[str] | None = None,
    ) -> None:
        self.bus = bus
        self.store = store
        self.approver = approver
        self.announced = announced if announced is not None else set()
        """Request ids whose request (r:) and decision (d:) events this run already has."""
        self._memory: dict[str, ApprovalRecord] = {}

    async def request(self, request: ApprovalRequest) -> ApprovalDecision:
        record = self._put(request)
        rid = record.request_id
        if f"r:{rid}" not in self.announced:
            self.announced.add(f"r:{rid}")
            req = record.request
            self._audit(req, "approval_request", "requested", None)
            self.bus.emit(
                ApprovalRequested,
                node_id=req.node_id,
                request_id=rid,
                kind=req.kind,
                title=req.title,
                summary=req.summary,
                proposed=req.proposed,
                rule=req.rule,
                deadline_ts=req.deadline_ts,
                default_decision=req.default_decision,
                approver=req.approver,
            )
        decision = record.decision or self._expired(record) or await self._ask(record)
        if decision is None:
            raise AwaitingApproval(rid)
        if record.decision is None:
            record = self._decide(rid, decision)
            decision = record.decision or decision
        self._announce(record.request, decision)
        if decision.by_deadline and record.request.default_decision == "fail":
            raise NodeError(
                f"approval deadline passed for {request.node_id!r}", error_class="approval"
            )
        return decision

    # -- internals -------------------------------------------------------------------------

    def _audit(
        self, request: ApprovalRequest, action: str, outcome: str, decision: ApprovalDecision | None
    ) -> None:
        if self.store is not None:
            self.store.append_audit(_audit_entry(request, action, outcome, decision))

    def _put(self, request: ApprovalRequest) -> ApprovalRecord:
        if self.store is not None:
            return self.store.put_approval(request)
        return self._memory.setdefault(request.request_id, ApprovalRecord(request, "pending"))

    def _decide(self, request_id: str, decision: ApprovalDecision) -> ApprovalRecord:
        if self.store is not None:
            from engine.store.approvals import ApprovalConflict

            try:
                return self.store.decide_approval(request_id, decision)
            except ApprovalConflict:  # decided elsewhere meanwhile: that decision stands
                current = self.store.get_approval(request_id)
                assert current is not None
                return current
        record = self._memory[request_id]
        status = (
            "expired" if decision.by_deadline else ("approved" if decision.approved else "rejected")
        )
        decided = ApprovalRecord(record.request, status, decision)  # type: ignore[arg-type]
        self._memory[request_id] = decided
        return decided

    @staticmethod
    def _expired(record: ApprovalRecord) -> ApprovalDecision | None:
        req = record.request
        if req.deadline_ts is None or time.time() < req.deadline_ts:
            return None
        return _deadline_decision(req)

    async def _ask(self, record: ApprovalRecord) -> ApprovalDecision | None:
        req = record.request
        try:
            if req.deadline_ts is None:
                decision = await self.approver(record)
            else:
                remaining = max(0.0, req.deadline_ts - time.time())
                decision = await asyncio.wait_for(self.approver(record), remaining)
        except TimeoutError:
            return _deadline_decision(req)
        if decision is not None:
            problem = check_decision(req, decision)
            if problem:
                raise NodeError(
                    f"invalid decision for {req.node_id!r}: {problem}", error_class="approval"
                )
        return decision

    def _announce(self, request: ApprovalRequest, decision: ApprovalDecision) -> None:
        key = f"d:{request.request_id}"
        if key in self.announced:
            return
        self.announced.add(key)
        outcome = (
            "expired" if decision.by_deadline else ("approved" if decision.approved else "rejected")
        )
        self._audit(request, "approval_decision", outcome, decision)
        self.bus.emit(
            ApprovalDecided,
            node_id=request.node_id,
            request_id=request.request_id,
            decision=decision.decision,
            decider=decision.decider,
            comment=decision.comment,
            original=request.proposed,
            edited_value=decision.edited_value,
            by_deadline=decision.by_deadline,
        )


def _audit_entry(
    request: ApprovalRequest, action: str, outcome: str, decision: ApprovalDecision | None
) -> AuditEntry:
    detail: dict[str, Any] = {"request_id": request.request_id, "kind": request.kind}
    if request.rule:
        detail["rule"] = request.rule
    if decision is not None:
        detail.update(decision=decision.decision, comment=decision.comment)
        if decision.decision == "edit":
            detail["edited"] = True
    return AuditEntry(
        action=action,
        outcome=outcome,
        run_id=request.run_id,
        node_id=request.node_id,
        user=decision.decider if decision else None,
        detail=redact(detail),
    )


def _deadline_decision(request: ApprovalRequest) -> ApprovalDecision:
    default = request.default_decision or "reject"
    verdict: Any = "approve" if default == "approve" else "reject"
    return ApprovalDecision(
        verdict, "deadline", f"deadline passed; default decision: {default}", by_deadline=True
    )
