"""The one governed path from a node to a tool: grant check (workflow ∩ node), scope
narrowing, argument validation, approval rules, idempotency key, the call itself, result
validation — each step evented and audited. Refusals come back as outcomes, not raised."""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from engine.approvals.model import ApprovalRequest
from engine.audit.chain import AuditEntry
from engine.audit.redact import redact
from engine.tools.base import Scope, Tool, ToolCall
from engine.tools.errors import ToolError, ToolInvalid, ToolRefused
from engine.tools.events import ToolCalled, ToolCallRefused, ToolFailed, ToolGated, ToolSucceeded
from engine.tools.host import ToolHost
from engine.tools.policy import ApprovalRule, idempotency_key, parse_rules
from engine.tools.registry import ToolRegistry, granted

log = logging.getLogger(__name__)

PREVIEW_CHARS = 2000
Status = Literal["ok", "refused", "invalid", "error"]


@dataclass(frozen=True, slots=True)
class CallOutcome:
    tool: str
    status: Status
    result: Any = None
    message: str = ""
    error_class: str = ""
    retry_after_s: float | None = None
    """The server's own wait before a retry (HTTP Retry-After), passed on to the node."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def raise_for_status(self) -> Any:
        """The result, or the matching ToolError (for callers that fail on refusal)."""
        if self.status == "ok":
            return self.result
        error = {"refused": ToolRefused, "invalid": ToolInvalid}.get(self.status, ToolError)
        raise error(
            self.message, error_class=self.error_class or None, retry_after_s=self.retry_after_s
        )


@cache
def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def call_schema(tool: Tool) -> dict[str, Any]:
    """The JSON Schema of a proposed call `{tool, arguments}` an approver may edit: the
    tool fixed, the arguments under the tool's own schema (its `$defs` lifted to the root
    so its references still resolve)."""
    arguments = dict(tool.arguments)
    arguments.pop("$schema", None)
    lifted: dict[str, Any] = {
        k: arguments.pop(k) for k in ("$defs", "definitions") if k in arguments
    }
    return {
        **lifted,
        "type": "object",
        "properties": {"tool": {"const": tool.name}, "arguments": arguments},
        "required": ["tool", "arguments"],
        "additionalProperties": False,
    }


def _digest(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, default=repr).encode()
    return hashlib.sha256(blob).hexdigest()


class ToolGateway:
    """Calls tools for one node attempt. `offered` is the node's own allow-list (None: just
    the workflow's grants); `scopes` are the node's narrowing requests by tool."""

    def __init__(
        self,
        ctx: ToolHost,
        tools: ToolRegistry,
        *,
        offered: Collection[str] | None = None,
        scopes: Mapping[str, dict[str, Any]] | None = None,
        actor: str = "node",
        model: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.tools = tools
        self.policy = ctx.policy
        self.offered = None if offered is None else frozenset(offered)
        self.scopes = dict(scopes or {})
        self.actor = actor
        self.model = model
        self.rules: list[ApprovalRule] = parse_rules(self.policy.approval_rules)
        self.calls = 0

    def refusal(self, name: str) -> str | None:
        """Why `name` may not be called from here, or None."""
        if name not in self.tools:
            return f"there is no tool {name!r}"
        if reason := self._grant_refusal(name):
            return reason
        if self.tools.get(name) is None:  # a tool source's tool that did not load
            return f"there is no tool {name!r}"
        return self._denied(name)

    def _grant_refusal(self, name: str) -> str | None:
        if self.offered is not None and not granted(name, self.offered):
            return f"tool {name!r} is not in this node's allow-list"
        if not granted(name, self.policy.allowed_tools or ()):
            return f"tool {name!r} is not granted by the workflow policy"
        return None

    def _denied(self, name: str) -> str | None:
        tool = self.tools.get(name)
        if tool is not None and tool.decision == "deny":
            return f"{tool.decision_reason or name}: calls are denied"
        return None

    def scope_for(self, tool: Tool) -> Scope:
        """The workflow's grant for `tool`, narrowed by the node's request (never widened)."""
        granted = tool.parse_scope(self.policy.tool_scopes.get(tool.name))
        if tool.name not in self.scopes:
            return granted
        narrowed: Scope = granted.narrow(tool.parse_scope(self.scopes[tool.name]))
        return narrowed

    def refuse(self, name: str, arguments: Any, reason: str) -> CallOutcome:
        """Refuse a call the caller's own limits forbid (recorded and audited like any)."""
        index = self.calls
        self.calls += 1
        return self._refused(name, index, _shown(arguments), reason)

    async def call(self, name: str, arguments: Any) -> CallOutcome:
        index = self.calls
        self.calls += 1
        shown = _shown(arguments)
        if self.tools.get(name) is None and name in self.tools and not self._grant_refusal(name):
            try:  # a tool source's tool (MCP): list the server's tools first
                await self.tools.prepare([name], offline=self.policy.offline)
            except ToolRefused as exc:
                return self._refused(name, index, shown, str(exc))
            except ToolError as exc:
                return self._failed(name, index, shown, exc, action="tool_call")
        reason = self.refusal(name)
        tool = self.tools.get(name)
        if reason is not None or tool is None:
            return self._refused(name, index, shown, reason or "unknown tool")
        scope = self.scope_for(tool)
        try:
            args = tool.check_arguments(arguments)
        except ToolInvalid as exc:
            self._audit("tool_call", "invalid", name, shown, {"reason": str(exc), "call": index})
            self.ctx.emit(
                ToolFailed,
                _fields(tool=name, call_index=index, error=str(exc), error_class="validation"),
            )
            return CallOutcome(name, "invalid", message=str(exc), error_class="validation")
        key = None
        if tool.idempotent and tool.side_effect != "read":
            key = idempotency_key(self.ctx.run_id, self.ctx.node_id, name, args, index)
        self.ctx.emit(
            ToolCalled,
            _fields(
                tool=name,
                call_index=index,
                arguments=shown,
                side_effect=tool.side_effect,
                idempotency_key=key,
                actor=self.actor,
            ),
        )
        gate, approved = await self._gate(tool, args, shown, index)
        if gate is not None:
            return self._refused(name, index, shown, gate, audited=True)
        if approved is not args:  # the approver edited the arguments: check them again
            try:
                args = tool.check_arguments(approved)
            except ToolInvalid as exc:
                return self._refused(name, index, shown, f"edited arguments: {exc}")
            shown = _shown(args)
        call = ToolCall(
            tool=name,
            scope=scope,
            run_id=self.ctx.run_id,
            node_id=self.ctx.node_id,
            base_dir=self.ctx.base_dir or Path.cwd(),
            offline=self.policy.offline,
            idempotency_key=key,
            run_child=self.ctx.run_child,
            depth=self.ctx.depth,
        )
        detail = {"call": index, "side_effect": tool.side_effect, "idempotency": key}
        if tool.decision_reason:  # a tool source's own allow/ask, and why
            detail["decision"] = f"{tool.decision} ({tool.decision_reason})"
        self._audit("tool_call", "started", name, shown, detail)
        started = time.monotonic()
        try:
            result = tool.check_result(await tool.handler(call, args))
        except ToolRefused as exc:
            return self._refused(name, index, shown, str(exc), action="tool_result")
        except ToolError as exc:
            return self._failed(name, index, shown, exc)
        duration = time.monotonic() - started
        self._audit(
            "tool_result",
            "ok",
            name,
            shown,
            {"call": index, "result_sha256": _digest(result), "duration_s": duration},
        )
        preview = json.dumps(redact(result), ensure_ascii=False, default=repr)[:PREVIEW_CHARS]
        self.ctx.emit(
            ToolSucceeded,
            _fields(tool=name, call_index=index, duration_s=duration, result_preview=preview),
        )
        return CallOutcome(name, "ok", result)

    async def _gate(
        self, tool: Tool, args: dict[str, Any], shown: dict[str, Any], index: int
    ) -> tuple[str | None, dict[str, Any]]:
        """Ask for approval when a rule matches: (the refusal reason, or None to proceed;
        the arguments to call with, `args` itself unless the approver edited them). Every
        argument is shown and editable, checked against the tool's schema, unless
        redaction hid one (an edit would lose it). Without an approver the NodeError
        propagates: the node fails closed."""
        rule = next((r for r in self.rules if r.matches(tool, args)), None)
        if rule is None and tool.decision == "ask":
            rule = ApprovalRule(name=(tool.decision_reason or f"{tool.name} asks")[:200])
        if rule is None:
            return None, args
        editable = shown == args
        request = ApprovalRequest(
            run_id=self.ctx.run_id,
            node_id=self.ctx.node_id,
            kind="policy_gate",
            title=f"{tool.name}: {rule.name}",
            summary=f"{tool.name} ({tool.side_effect}) with {json.dumps(shown)[:500]}",
            proposed={"tool": tool.name, "arguments": shown},
            schema=call_schema(tool) if editable else None,
            rule=rule.name,
            approver=rule.approver,
            allow_edit=editable,
            key=f"tool:{tool.name}:{index}:{_digest(args)[:16]}",
        )
        detail: dict[str, Any] = {"call": index, "rule": rule.name}
        self._audit("approval_gate", "requested", tool.name, shown, detail)
        try:
            decision = await self.ctx.request_approval(request)
        except Exception as exc:
            self._audit(
                "approval_gate", "unavailable", tool.name, shown, {**detail, "error": str(exc)}
            )
            self.ctx.emit(
                ToolCallRefused,
                _fields(
                    tool=tool.name,
                    call_index=index,
                    reason=f"approval unavailable: {exc}",
                    arguments=shown,
                ),
            )
            raise
        outcome = "approved" if decision.approved else "rejected"
        self._audit(
            "approval_gate",
            outcome,
            tool.name,
            shown,
            {**detail, "decider": decision.decider, "comment": decision.comment},
        )
        self.ctx.emit(
            ToolGated,
            _fields(
                tool=tool.name,
                call_index=index,
                rule=rule.name,
                decision=decision.decision,
                decider=decision.decider,
            ),
        )
        if not decision.approved:
            return f"approval rule {rule.name!r}: rejected by {decision.decider}", args
        edited = decision.edited_value if decision.decision == "edit" else None
        if not editable or not isinstance(edited, dict) or edited.get("tool") != tool.name:
            return None, args
        arguments = edited.get("arguments")
        return None, dict(arguments) if isinstance(arguments, dict) else args

    def _failed(
        self,
        name: str,
        index: int,
        shown: dict[str, Any],
        exc: ToolError,
        *,
        action: str = "tool_result",
    ) -> CallOutcome:
        self._audit(action, "error", name, shown, {"call": index, "error": str(exc)})
        self.ctx.emit(
            ToolFailed,
            _fields(tool=name, call_index=index, error=str(exc), error_class=exc.error_class),
        )
        return CallOutcome(
            name,
            "error",
            message=str(exc),
            error_class=exc.error_class,
            retry_after_s=exc.retry_after_s,
        )

    def _refused(
        self,
        name: str,
        index: int,
        shown: dict[str, Any],
        reason: str,
        *,
        audited: bool = False,
        action: str = "tool_call",
    ) -> CallOutcome:
        if not audited:
            self._audit(action, "refused", name, shown, {"call": index, "reason": reason})
        log.info("refused %s call in node %s: %s", name, self.ctx.node_id, reason)
        self.ctx.emit(
            ToolCallRefused, _fields(tool=name, call_index=index, reason=reason, arguments=shown)
        )
        return CallOutcome(name, "refused", message=reason, error_class="policy")

    def _audit(
        self,
        action: str,
        outcome: str,
        tool: str,
        arguments: dict[str, Any],
        detail: dict[str, Any],
    ) -> None:
        if self.ctx.audit is None:
            return
        self.ctx.audit(
            AuditEntry(
                action=action,
                outcome=outcome,
                run_id=self.ctx.run_id,
                node_id=self.ctx.node_id,
                tool=tool,
                model=self.model,
                user=_user(),
                arguments=arguments,
                detail=redact(detail),
            )
        )


def _shown(arguments: Any) -> dict[str, Any]:
    return redact(arguments) if isinstance(arguments, dict) else {"value": redact(arguments)}


def _fields(**values: Any) -> dict[str, Any]:
    return values
