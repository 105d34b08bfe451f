"""Builds the one `RunReport` from the store: run record, events, attempts, approvals, the
stored workflow and (when the store keeps one) the audit trail. Every format renders this."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from typing import Any

from engine.approvals.model import ApprovalRecord
from engine.audit.chain import AuditEntry, verify_chain
from engine.errors import InterlockError
from engine.reports.model import (
    ChildRunView,
    EventView,
    Governance,
    ModelSpend,
    NodeView,
    RunReport,
    RunSource,
    Span,
    SpanKind,
    Totals,
)
from engine.reports.nodes import NodeFold, event_data, event_view
from engine.reports.redaction import scrub, scrub_fields, scrub_text
from engine.runtime.engine import child_label
from engine.store.protocol import RunRecord, RunStore
from engine.trace.events import RunEvent
from engine.trace.fold import fold as fold_run
from engine.trace.status import TERMINAL, NodeStatus
from engine.workflow.model import Workflow

log = logging.getLogger(__name__)

RUN_LEVEL_SKIP = frozenset({"run_started", "run_finished"})
POLICY_TYPES = frozenset({"tool_refused", "tool_gated"})


class ReportError(InterlockError):
    """The run cannot be reported (unknown run id, unknown format, renderer missing)."""


def build_report(store: RunStore, run_id: str) -> RunReport:
    record = store.get_run(run_id)
    if record is None:
        raise ReportError(f"no run {run_id!r} in the store")
    events = store.events(run_id)
    approvals = store.list_approvals(status=None, run_id=run_id)
    version = store.get_workflow(record.workflow_hash)
    workflow = _load(version.content) if version is not None else None
    audit, audit_ok, audit_note = _audit(store, run_id)
    nodes = _nodes(events, workflow, approvals)
    return RunReport(
        run_id=record.run_id,
        workflow_name=record.workflow_name,
        workflow_hash=record.workflow_hash,
        status=record.status,
        started_at=record.started_at,
        finished_at=record.finished_at,
        inputs=scrub(record.inputs),
        outputs=scrub(record.outputs),
        error=scrub_text(record.error),
        totals=_totals(record, nodes),
        spans=_spans(events, nodes, record),
        nodes=nodes,
        governance=_governance(workflow, nodes, events, approvals, audit, audit_ok, audit_note),
        run_events=[
            event_view(e)
            for e in events
            if e.node_id is None and event_data(e)[0] not in RUN_LEVEL_SKIP
        ],
        source=RunSource(
            events=[_event_record(e) for e in events],
            attempts=[scrub_fields(dataclasses.asdict(a)) for a in store.attempts(run_id)],
            approvals=[_approval_record(a) for a in approvals],
            audit=[scrub_fields(entry.to_json()) for entry in audit],
            workflow=None
            if version is None
            else {
                "hash": version.hash,
                "name": version.name,
                "path": version.path,
                "content": scrub_text(version.content),
            },
        ),
        generated_at=time.time(),
        parent_run_id=record.parent_run_id,
        children=[
            ChildRunView(
                c.run_id,
                child_label(run_id, c.run_id),
                c.status,
                c.prompt_tokens,
                c.completion_tokens,
                c.cost_usd,
            )
            for c in store.child_runs(run_id)
        ],
        workflow_path=record.workflow_path,
        resumes=sum(1 for e in events if e.type == "run_resumed"),
    )


def _load(content: str) -> Workflow | None:
    from engine.workflow.loader import loads_workflow

    try:
        return loads_workflow(content).workflow
    except InterlockError as exc:
        log.warning("stored workflow does not load any more: %s", exc)
        return None


def _event_record(event: RunEvent) -> dict[str, Any]:
    type_, data = event_data(event)
    return {
        "seq": event.seq,
        "ts": event.ts,
        "type": type_,
        "node_id": event.node_id,
        "data": scrub_fields(data),
    }


def _approval_record(record: ApprovalRecord) -> dict[str, Any]:
    return {
        "request_id": record.request_id,
        "status": record.status,
        "request": scrub_fields(record.request.to_json()),
        "decision": scrub_fields(record.decision.to_json()) if record.decision else None,
    }


def _audit(store: RunStore, run_id: str) -> tuple[list[AuditEntry], bool | None, str]:
    reader = getattr(store, "audit_entries", None)
    if reader is None:
        return [], None, "this store keeps no audit trail"
    everything: list[AuditEntry] = reader()
    chain = verify_chain(everything)
    note = "" if chain.ok else f"chain broken at entry {chain.first_bad_seq}: {chain.reason}"
    return [e for e in everything if e.run_id == run_id], chain.ok, note


def _nodes(
    events: list[RunEvent], workflow: Workflow | None, approvals: list[ApprovalRecord]
) -> list[NodeView]:
    folds: dict[str, NodeFold] = {}
    resumed_at: list[float] = []
    for event in events:
        if event.node_id is None:
            if event.type == "run_resumed":
                resumed_at.append(event.ts)
            continue
        node_fold = folds.get(event.node_id)
        if node_fold is None:
            node_fold = folds[event.node_id] = NodeFold(event.node_id)
        node_fold.add(event)
    specs = {n.id: n for n in workflow.nodes} if workflow is not None else {}
    by_node: dict[str, list[ApprovalRecord]] = defaultdict(list)
    for approval in approvals:
        by_node[approval.request.node_id].append(approval)
    final_ts = events[-1].ts if events and events[-1].type == "run_finished" else None

    def interrupted_at(started: float | None) -> float | None:
        """When an attempt that never ended was cut off: the next resume, or the run's end."""
        later = [t for t in resumed_at if started is not None and t >= started]
        return min(later) if later else final_ts

    run = fold_run(events)
    settled = TERMINAL | {NodeStatus.WAITING}

    def status(node_id: str) -> str | None:
        state = run.nodes[node_id].state if node_id in run.nodes else None
        return state if state in settled else None

    views = [
        node_fold.view(
            specs.get(node_id), by_node.get(node_id, []), interrupted_at, status(node_id)
        )
        for node_id, node_fold in folds.items()
    ]
    for node_id, spec in specs.items():
        if node_id not in folds:
            views.append(NodeView(node_id=node_id, kind=spec.kind, status="not run"))
    return views


def _totals(record: RunRecord, nodes: list[NodeView]) -> Totals:
    spend: dict[tuple[str, str], dict[str, Any]] = {}

    def add(model: str, provider: str, remote: bool, p: int, c: int, cost: float) -> None:
        row = spend.setdefault(
            (model, provider), {"remote": remote, "calls": 0, "p": 0, "c": 0, "cost": 0.0}
        )
        row.update(calls=row["calls"] + 1, p=row["p"] + p, c=row["c"] + c)
        row["cost"] += cost

    for node in nodes:
        if node.model_calls:
            for call in node.model_calls:
                add(
                    call.model,
                    call.provider,
                    call.remote,
                    call.prompt_tokens,
                    call.completion_tokens,
                    call.cost_usd,
                )
            continue
        for a in node.attempts:
            if a.model and a.status == "succeeded":
                provider = a.provider or ""
                add(
                    a.model,
                    provider,
                    provider.startswith("remote"),
                    a.prompt_tokens,
                    a.completion_tokens,
                    a.cost_usd,
                )
    by_model = [
        ModelSpend(m, p, r["remote"], r["calls"], r["p"], r["c"], r["cost"])
        for (m, p), r in sorted(spend.items(), key=lambda kv: -kv[1]["cost"])
    ]
    remote = [s for s in by_model if s.remote]
    local = [s for s in by_model if not s.remote]
    return Totals(
        duration_s=(record.finished_at - record.started_at) if record.finished_at else None,
        prompt_tokens=record.prompt_tokens,
        completion_tokens=record.completion_tokens,
        cost_usd=record.cost_usd,
        by_model=by_model,
        local_tokens=sum(s.prompt_tokens + s.completion_tokens for s in local),
        remote_tokens=sum(s.prompt_tokens + s.completion_tokens for s in remote),
        local_calls=sum(s.calls for s in local),
        remote_calls=sum(s.calls for s in remote),
    )


def _spans(events: list[RunEvent], nodes: list[NodeView], record: RunRecord) -> list[Span]:
    end_of_run = record.finished_at or (events[-1].ts if events else record.started_at)
    spans: list[Span] = []
    for node in nodes:
        for a in node.attempts:
            if a.started_at is not None:
                end = a.finished_at if a.finished_at is not None else end_of_run
                spans.append(Span(node.node_id, "attempt", a.started_at, end, a.status, a.attempt))
            if a.retry_delay_s and a.finished_at is not None:
                spans.append(
                    Span(
                        node.node_id,
                        "retry_wait",
                        a.finished_at,
                        a.finished_at + a.retry_delay_s,
                        "retrying",
                        a.attempt,
                    )
                )
        if node.status in ("cached", "skipped") and node.finished_at is not None:
            marker: SpanKind = "cached" if node.status == "cached" else "skipped"
            spans.append(Span(node.node_id, marker, node.finished_at, node.finished_at, marker))
        for approval in node.approvals:
            if approval.requested_at is not None:
                end = approval.decided_at or end_of_run
                spans.append(
                    Span(
                        node.node_id,
                        "approval_wait",
                        approval.requested_at,
                        max(end, approval.requested_at),
                        approval.status,
                    )
                )
    return spans


def _governance(
    workflow: Workflow | None,
    nodes: list[NodeView],
    events: list[RunEvent],
    approvals: list[ApprovalRecord],
    audit: list[AuditEntry],
    audit_ok: bool | None,
    audit_note: str,
) -> Governance:
    calls = [c for n in nodes for c in n.tool_calls]
    used: dict[str, int] = {}
    for call in calls:
        if call.status != "refused":
            used[call.tool] = used.get(call.tool, 0) + 1
    outcomes: dict[str, int] = {}
    for approval in approvals:
        decision = approval.decision
        label = "edited" if decision and decision.decision == "edit" else approval.status
        outcomes[label] = outcomes.get(label, 0) + 1
    policy: list[EventView] = []
    for event in events:
        type_, data = event_data(event)
        if (
            type_ in POLICY_TYPES
            or (type_ == "routing_decision" and data.get("warning"))
            or (type_ == "provider_retry" and data.get("kind") == "wait_refused")
            or (type_ == "approval_requested" and data.get("kind") == "policy_gate")
            or (type_ == "node_log" and data.get("level") in ("warning", "error"))
        ):
            policy.append(event_view(event))
    policy_spec = workflow.policy if workflow is not None else None
    return Governance(
        tools_granted=list(policy_spec.allowed_tools or []) if policy_spec else [],
        tool_scopes=scrub(policy_spec.tool_scopes) if policy_spec else {},
        tools_used=used,
        refused=[c for c in calls if c.status == "refused"],
        gated=[c for c in calls if c.gate],
        approvals=outcomes,
        policy_events=policy,
        audit_head=audit[-1].hash if audit else None,
        audit_entries=len(audit),
        audit_chain_ok=audit_ok,
        audit_note=audit_note,
    )
