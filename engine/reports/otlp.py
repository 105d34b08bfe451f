"""OpenTelemetry export: the run as an OTLP/JSON `ExportTraceServiceRequest` — a root span for
the run, a child per node attempt, grandchildren for model and tool calls (GenAI semantic
conventions, names in `otel_names`), span events for retries, routing and approvals."""

from __future__ import annotations

import hashlib
from typing import Any

from engine import jsontext
from engine.reports import otel_names as ot
from engine.reports.export import interlock_version
from engine.reports.model import AttemptView, NodeView, RunReport

STATUS_UNSET, STATUS_OK, STATUS_ERROR = 0, 1, 2
KIND_INTERNAL, KIND_CLIENT = 1, 3
Attr = dict[str, Any]


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # int64 is a string in the OTLP JSON mapping
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"stringValue": jsontext.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)}


def attributes(values: dict[str, Any]) -> list[Attr]:
    return [{"key": k, "value": _value(v)} for k, v in values.items() if v is not None]


def _nanos(ts: float) -> str:
    return str(round(ts * 1e9))


def _id(*parts: object, length: int) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:length]


def _status(status: str, message: str | None = None) -> dict[str, Any]:
    if status in ("succeeded", "cached"):
        return {"code": STATUS_OK}
    if status in ("failed", "retrying", "interrupted", "cancelled"):
        return {"code": STATUS_ERROR, "message": message or status}
    return {"code": STATUS_UNSET}


class _Trace:
    def __init__(self, report: RunReport) -> None:
        self.report = report
        self.trace_id = _id("interlock-trace", report.run_id, length=32)
        self.spans: list[dict[str, Any]] = []

    def span(
        self,
        key: tuple[object, ...],
        parent: str | None,
        name: str,
        start: float,
        end: float,
        attrs: dict[str, Any],
        *,
        status: dict[str, Any],
        kind: int = KIND_INTERNAL,
        events: list[dict[str, Any]] | None = None,
    ) -> str:
        span_id = _id(self.report.run_id, *key, length=16)
        span: dict[str, Any] = {
            "traceId": self.trace_id,
            "spanId": span_id,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": _nanos(start),
            "endTimeUnixNano": _nanos(max(end, start)),
            "attributes": attributes(attrs),
            "events": events or [],
            "status": status,
        }
        if parent is not None:
            span["parentSpanId"] = parent
        self.spans.append(span)
        return span_id


def _event(name: str, ts: float | None, attrs: dict[str, Any]) -> dict[str, Any]:
    return {"timeUnixNano": _nanos(ts or 0.0), "name": name, "attributes": attributes(attrs)}


def _attempt_events(node: NodeView, a: AttemptView) -> list[dict[str, Any]]:
    events = []
    if a.status == "retrying":
        events.append(
            _event(
                ot.EVENT_RETRY,
                a.finished_at,
                {
                    ot.ERROR_TYPE: a.error_class,
                    ot.RETRY_DELAY_S: a.retry_delay_s or 0.0,
                    "exception.message": a.error,
                },
            )
        )
    for d in node.routing:
        if d.attempt == a.attempt:
            events.append(
                _event(
                    ot.EVENT_ROUTING,
                    a.started_at,
                    {
                        ot.ROUTING_PHASE: d.phase,
                        ot.ROUTING_CHOSEN: d.chosen,
                        ot.ROUTING_REASON: d.reason,
                        ot.ROUTING_TRIGGER: d.trigger,
                    },
                )
            )
    for ap in node.approvals:
        start, end = a.started_at or 0.0, a.finished_at or float("inf")
        if ap.requested_at is not None and start <= ap.requested_at <= end:
            events.append(
                _event(
                    ot.EVENT_APPROVAL_REQUESTED, ap.requested_at, {ot.APPROVAL_ID: ap.request_id}
                )
            )
        if ap.decided_at is not None and ap.decision and start <= ap.decided_at <= end:
            events.append(
                _event(
                    ot.EVENT_APPROVAL_DECIDED,
                    ap.decided_at,
                    {
                        ot.APPROVAL_ID: ap.request_id,
                        ot.APPROVAL_DECISION: ap.decision,
                        ot.APPROVAL_DECIDER: ap.decider,
                        ot.APPROVAL_STATUS: ap.status,
                    },
                )
            )
    return events


def _node_spans(trace: _Trace, root: str, node: NodeView) -> None:
    base = {ot.NODE_ID: node.node_id, ot.NODE_KIND: node.kind}
    if node.status == "cached" and node.finished_at is not None:
        trace.span(
            (node.node_id, "cached"),
            root,
            f"{node.kind} {node.node_id}",
            node.finished_at,
            node.finished_at,
            {**base, ot.STATUS: "cached"},
            status=_status("cached"),
            events=[_event(ot.EVENT_CACHE_HIT, node.finished_at, {"source": node.cached_from})],
        )
    for a in node.attempts:
        if a.started_at is None:
            continue
        attrs: dict[str, Any] = {**base, ot.ATTEMPT: a.attempt, ot.STATUS: a.status}
        if node.kind == "llm":
            attrs[ot.GEN_AI_OPERATION_NAME] = ot.OP_CHAT
        elif node.kind == "agent":
            attrs.update(
                {ot.GEN_AI_OPERATION_NAME: ot.OP_INVOKE_AGENT, ot.GEN_AI_AGENT_NAME: node.node_id}
            )
        if a.model:
            attrs.update(
                {
                    ot.GEN_AI_RESPONSE_MODEL: a.model,
                    ot.GEN_AI_PROVIDER_NAME: a.provider,
                    ot.GEN_AI_SYSTEM: a.provider,
                    ot.GEN_AI_USAGE_INPUT_TOKENS: a.prompt_tokens,
                    ot.GEN_AI_USAGE_OUTPUT_TOKENS: a.completion_tokens,
                    ot.COST_USD: a.cost_usd,
                }
            )
        if a.error:
            attrs[ot.ERROR_TYPE] = a.error_class
        end = a.finished_at if a.finished_at is not None else a.started_at
        span_id = trace.span(
            (node.node_id, a.attempt),
            root,
            f"{node.kind} {node.node_id}",
            a.started_at,
            end,
            attrs,
            status=_status(a.status, a.error),
            events=_attempt_events(node, a),
        )
        for c in (c for c in node.model_calls if c.attempt == a.attempt):
            c_end = c.ended_at or end
            trace.span(
                (node.node_id, a.attempt, "call", c.call),
                span_id,
                f"{ot.OP_CHAT} {c.model}",
                c_end - c.duration_s,
                c_end,
                {
                    ot.GEN_AI_OPERATION_NAME: ot.OP_CHAT,
                    ot.GEN_AI_REQUEST_MODEL: c.model,
                    ot.GEN_AI_RESPONSE_MODEL: c.model,
                    ot.GEN_AI_PROVIDER_NAME: c.provider,
                    ot.GEN_AI_SYSTEM: c.provider,
                    ot.GEN_AI_USAGE_INPUT_TOKENS: c.prompt_tokens,
                    ot.GEN_AI_USAGE_OUTPUT_TOKENS: c.completion_tokens,
                    ot.COST_USD: c.cost_usd,
                    ot.REMOTE: c.remote,
                    ot.CALL_OUTCOME: c.outcome,
                    ot.ERROR_TYPE: None if c.outcome == "ok" else c.outcome,
                },
                status=_status("succeeded" if c.outcome == "ok" else "failed", c.error),
                kind=KIND_CLIENT,
            )
        for t in (t for t in node.tool_calls if t.attempt == a.attempt):
            t_start = t.started_at or a.started_at
            trace.span(
                (node.node_id, a.attempt, "tool", t.call_index),
                span_id,
                f"{ot.OP_EXECUTE_TOOL} {t.tool}",
                t_start,
                t.finished_at or t_start,
                {
                    ot.GEN_AI_OPERATION_NAME: ot.OP_EXECUTE_TOOL,
                    ot.GEN_AI_TOOL_NAME: t.tool,
                    ot.GEN_AI_TOOL_TYPE: "function",
                    ot.GEN_AI_TOOL_CALL_ID: f"{node.node_id}:{a.attempt}:{t.call_index}",
                    ot.GEN_AI_TOOL_CALL_ARGUMENTS: t.arguments,
                    ot.TOOL_STATUS: t.status,
                    ot.ERROR_TYPE: None if t.status == "ok" else t.status,
                },
                status=_status("succeeded" if t.status == "ok" else "failed", t.error),
            )


def otlp_request(report: RunReport) -> dict[str, Any]:
    trace = _Trace(report)
    t = report.totals
    end = report.finished_at or max([s.end for s in report.spans] + [report.started_at])
    root = trace.span(
        ("run",),
        None,
        f"{ot.OP_INVOKE_WORKFLOW} {report.workflow_name}",
        report.started_at,
        end,
        {
            ot.GEN_AI_OPERATION_NAME: ot.OP_INVOKE_WORKFLOW,
            ot.GEN_AI_CONVERSATION_ID: report.run_id,
            ot.RUN_ID: report.run_id,
            ot.RUN_STATUS: report.status,
            ot.WORKFLOW_NAME: report.workflow_name,
            ot.WORKFLOW_HASH: report.workflow_hash,
            ot.GEN_AI_USAGE_INPUT_TOKENS: t.prompt_tokens,
            ot.GEN_AI_USAGE_OUTPUT_TOKENS: t.completion_tokens,
            ot.COST_USD: t.cost_usd,
            ot.AUDIT_HEAD: report.governance.audit_head,
        },
        status=_status(report.status, report.error),
    )
    for node in report.nodes:
        _node_spans(trace, root, node)
    resource = {ot.SERVICE_NAME: "interlock", ot.SERVICE_VERSION: interlock_version()}
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": attributes(resource)},
                "scopeSpans": [
                    {
                        "scope": {"name": ot.SCOPE_NAME, "version": interlock_version()},
                        "spans": trace.spans,
                    }
                ],
            }
        ]
    }


def render_otlp(report: RunReport) -> str:
    return jsontext.dumps(otlp_request(report), indent=2, ensure_ascii=False) + "\n"
