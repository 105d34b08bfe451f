"""Node by node: folds one node's events (attempts, routing, model and tool calls, approvals,
logs and unknown types) into a `NodeView`. Data is redacted as it is read."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import jsontext
from engine.approvals.model import ApprovalRecord
from engine.reports.model import (
    ApprovalView,
    AttemptView,
    EventView,
    ModelCallView,
    NodeView,
    PromptPart,
    RoutingView,
    ToolCallView,
)
from engine.reports.redaction import scrub, scrub_fields, scrub_text
from engine.trace.events import RunEvent, UnknownEvent
from engine.workflow.model import Node

QUIET = frozenset({"node_queued", "node_token"})
"""Event types left out of node sections (progress noise; the output holds the text)."""


def event_data(event: RunEvent) -> tuple[str, dict[str, Any]]:
    """An event's type tag and payload, unknown types included (unredacted)."""
    if isinstance(event, UnknownEvent):
        return event.original_type, dict(event.data)
    return event.type, event.payload()


def event_view(event: RunEvent) -> EventView:
    type_, data = event_data(event)
    return EventView(event.seq, event.ts, type_, event.node_id, scrub_fields(data))


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


@dataclass
class NodeFold:
    """Mutable state while one node's events are read in order."""

    node_id: str
    kind: str = ""
    attempts: dict[int, dict[str, Any]] = field(default_factory=dict)
    raw_inputs: dict[str, Any] = field(default_factory=dict)
    routing: list[RoutingView] = field(default_factory=list)
    calls: list[ModelCallView] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    open_tools: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[EventView] = field(default_factory=list)
    cached_from: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    first_ts: float | None = None
    last_ts: float | None = None

    def add(self, event: RunEvent) -> None:
        type_, d = event_data(event)
        if type_ in QUIET:
            return
        self.first_ts = event.ts if self.first_ts is None else self.first_ts
        self.last_ts = event.ts
        handler = getattr(self, "_on_" + type_, None)
        if handler is None:
            self.events.append(event_view(event))
        else:
            handler(event, d)

    # -- attempts ------------------------------------------------------------------------

    def _attempt(self, d: dict[str, Any]) -> dict[str, Any]:
        number = _int(d.get("attempt")) or 1
        return self.attempts.setdefault(number, {"attempt": number, "status": "running"})

    def _on_node_started(self, e: RunEvent, d: dict[str, Any]) -> None:
        self.kind = str(d.get("kind") or self.kind)
        self.raw_inputs = dict(d.get("inputs") or {})
        self.open_tools = {}
        a = self._attempt(d)
        a.update(started_at=e.ts, inputs=scrub(self.raw_inputs), fallback=bool(d.get("fallback")))

    def _finish(self, e: RunEvent, d: dict[str, Any], status: str) -> dict[str, Any]:
        a = self._attempt(d)
        a.update(status=status, finished_at=e.ts)
        if "duration_s" in d and a.get("started_at") is None:
            a["started_at"] = e.ts - _float(d["duration_s"])
        if d.get("error"):
            a.update(error=scrub_text(str(d["error"])), error_class=d.get("error_class"))
        return a

    def _on_node_retrying(self, e: RunEvent, d: dict[str, Any]) -> None:
        self._finish(e, d, "retrying")["retry_delay_s"] = _float(d.get("delay_s"))

    def _on_node_waiting(self, e: RunEvent, d: dict[str, Any]) -> None:
        self._finish(e, d, "waiting")

    def _on_node_succeeded(self, e: RunEvent, d: dict[str, Any]) -> None:
        a = self._finish(e, d, "succeeded")
        self.outputs = scrub(d.get("outputs") or {})
        a.update(
            outputs=self.outputs,
            model=d.get("model"),
            provider=d.get("provider"),
            prompt_tokens=_int(d.get("prompt_tokens")),
            completion_tokens=_int(d.get("completion_tokens")),
            cost_usd=_float(d.get("cost_usd")),
        )

    def _on_node_failed(self, e: RunEvent, d: dict[str, Any]) -> None:
        a = self._finish(e, d, "failed")
        self.outputs = scrub(d.get("outputs") or {})
        a["outputs"] = self.outputs

    def _on_node_cached(self, e: RunEvent, d: dict[str, Any]) -> None:
        self.outputs = scrub(d.get("outputs") or {})
        self.cached_from = str(d.get("source") or "cache")

    def _on_node_skipped(self, e: RunEvent, d: dict[str, Any]) -> None:
        self.events.append(event_view(e))

    # -- routing and model calls ---------------------------------------------------------

    def _on_routing_decision(self, e: RunEvent, d: dict[str, Any]) -> None:
        self.routing.append(
            RoutingView(
                attempt=_int(d.get("attempt")) or 1,
                call=_int(d.get("call")) or 1,
                phase=str(d.get("phase") or ""),
                chosen=d.get("chosen"),
                provider=d.get("provider"),
                reason=scrub_text(str(d.get("reason") or "")) or "",
                trigger=d.get("trigger"),
                candidates=scrub(list(d.get("candidates") or [])),
                estimate_usd=_float(d.get("estimate_usd")),
                warning=scrub_text(d.get("warning")),
            )
        )

    def _on_model_call(self, e: RunEvent, d: dict[str, Any]) -> None:
        self.calls.append(
            ModelCallView(
                attempt=_int(d.get("attempt")) or 1,
                call=_int(d.get("call")) or 1,
                model=str(d.get("model") or ""),
                provider=str(d.get("provider") or ""),
                remote=bool(d.get("remote")),
                outcome=str(d.get("outcome") or ""),
                prompt_tokens=_int(d.get("prompt_tokens")),
                completion_tokens=_int(d.get("completion_tokens")),
                cost_usd=_float(d.get("cost_usd")),
                duration_s=_float(d.get("duration_s")),
                error=scrub_text(d.get("error")),
                ended_at=e.ts,
            )
        )

    # -- tools ---------------------------------------------------------------------------

    def _tool(self, d: dict[str, Any], e: RunEvent, done: bool = False) -> dict[str, Any]:
        index = _int(d.get("call_index"))
        call = self.open_tools.get(index)
        if call is None or call.get("done"):
            call = {"tool": str(d.get("tool") or ""), "call_index": index, "status": "started"}
            call.update(node_id=self.node_id, attempt=max(self.attempts, default=1))
            call["started_at"] = e.ts
            self.open_tools[index] = call
            self.tools.append(call)
        if done:
            call.update(done=1, finished_at=e.ts)
        return call

    def _on_tool_called(self, e: RunEvent, d: dict[str, Any]) -> None:
        call = self._tool(d, e)
        call.update(
            arguments=scrub(d.get("arguments") or {}),
            actor=str(d.get("actor") or "node"),
            side_effect=str(d.get("side_effect") or ""),
        )

    def _on_tool_succeeded(self, e: RunEvent, d: dict[str, Any]) -> None:
        call = self._tool(d, e, done=True)
        call.update(status="ok", result=_parsed(scrub_text(str(d.get("result_preview") or ""))))
        call["duration_s"] = _float(d.get("duration_s"))

    def _on_tool_failed(self, e: RunEvent, d: dict[str, Any]) -> None:
        call = self._tool(d, e, done=True)
        call.update(status="failed", error=scrub_text(str(d.get("error") or "")))

    def _on_tool_refused(self, e: RunEvent, d: dict[str, Any]) -> None:
        call = self._tool(d, e, done=True)
        call.update(status="refused", error=scrub_text(str(d.get("reason") or "")))
        call.setdefault("arguments", scrub(d.get("arguments") or {}))

    def _on_tool_gated(self, e: RunEvent, d: dict[str, Any]) -> None:
        gate = f"{d.get('rule')}: {d.get('decision')} by {d.get('decider') or '?'}"
        self._tool(d, e)["gate"] = scrub_text(gate)

    # -- approvals -----------------------------------------------------------------------

    def _on_approval_requested(self, e: RunEvent, d: dict[str, Any]) -> None:
        self.requests.setdefault(str(d.get("request_id")), {})["requested_at"] = e.ts

    def _on_approval_decided(self, e: RunEvent, d: dict[str, Any]) -> None:
        self.requests.setdefault(str(d.get("request_id")), {})["decided_at"] = e.ts

    # -- result --------------------------------------------------------------------------

    def view(
        self,
        spec: Node | None,
        approvals: list[ApprovalRecord],
        interrupted_at: Callable[[float | None], float | None],
        status: str | None = None,
    ) -> NodeView:
        """`status`: the node's state from the engine's fold of the run, when the node
        finished or waits (one answer for the store, the reports and the app)."""
        attempts = []
        for number in sorted(self.attempts):
            a = dict(self.attempts[number])
            a.setdefault("started_at", None)
            cut = interrupted_at(a["started_at"]) if a["status"] == "running" else None
            if cut is not None:
                a.update(status="interrupted", finished_at=cut)
            a.setdefault("finished_at", None)
            attempts.append(AttemptView(**a))
        status = status or (attempts[-1].status if attempts else "not run")
        kind = self.kind or (spec.kind if spec else "")
        starts = [a.started_at for a in attempts if a.started_at is not None]
        ends = [a.finished_at for a in attempts if a.finished_at is not None]
        done = [a for a in attempts if a.status == "succeeded"]
        return NodeView(
            node_id=self.node_id,
            kind=kind,
            status=status,
            title=spec.title if spec else "",
            attempts=attempts,
            prompt=prompt_parts(spec, self.raw_inputs) if kind == "llm" else [],
            routing=self.routing,
            model_calls=self.calls,
            tool_calls=[tool_view(t) for t in self.tools],
            approvals=[approval_view(r, self.requests) for r in approvals],
            events=self.events,
            cached_from=self.cached_from,
            outputs=self.outputs,
            started_at=min(starts) if starts else self.first_ts,
            finished_at=max(ends) if ends else self.last_ts,
            prompt_tokens=sum(a.prompt_tokens for a in done),
            completion_tokens=sum(a.completion_tokens for a in done),
            cost_usd=sum(c.cost_usd for c in self.calls) or sum(a.cost_usd for a in done),
        )


def _parsed(text: str | None) -> Any:
    """A result preview that is JSON, parsed (so it shows pretty); else the text."""
    try:
        return json.loads(text or "")
    except ValueError:
        return text or ""


def tool_view(call: dict[str, Any]) -> ToolCallView:
    fields = {k: v for k, v in call.items() if k != "done"}
    return ToolCallView(**fields)


def prompt_parts(spec: Node | None, inputs: dict[str, Any]) -> list[PromptPart]:
    """The llm node's prompt as it was rendered: its stored config over the attempt's inputs
    (the same sandboxed templates the node used). Empty if that no longer renders."""
    if spec is None:
        return []
    from engine.nodes.llm import LlmKind

    kind = LlmKind()
    try:
        request = kind.build_request(kind.config_model.model_validate(spec.config), inputs)
    except Exception:  # a report must render even if the stored config no longer does
        return []
    if request.messages is None:
        return [PromptPart("prompt", scrub_text(request.prompt or "") or "")]
    return [PromptPart(m.role, scrub_text(m.content) or "") for m in request.messages]


def pretty(value: Any) -> list[str]:
    text = jsontext.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=repr)
    return text.split("\n")


def approval_view(record: ApprovalRecord, times: dict[str, dict[str, Any]]) -> ApprovalView:
    request, decision = record.request, record.decision
    proposed = scrub(request.proposed)
    edited = scrub(decision.edited_value) if decision and decision.decision == "edit" else None
    diff: list[str] = []
    if decision is not None and decision.decision == "edit":
        diff = list(
            difflib.unified_diff(
                pretty(proposed), pretty(edited), "proposed", "edited", lineterm="", n=2
            )
        )
    seen = times.get(record.request_id, {})
    return ApprovalView(
        request_id=record.request_id,
        node_id=request.node_id,
        kind=request.kind,
        title=scrub_text(request.title) or "",
        summary=scrub_text(request.summary) or "",
        proposed=proposed,
        status=record.status,
        rule=request.rule,
        decision=decision.decision if decision else None,
        decider=decision.decider if decision else None,
        comment=(scrub_text(decision.comment) or "") if decision else "",
        edited_value=edited,
        by_deadline=bool(decision and decision.by_deadline),
        requested_at=seen.get("requested_at", request.created_at),
        decided_at=seen.get("decided_at", decision.decided_at if decision else None),
        diff=diff,
    )
