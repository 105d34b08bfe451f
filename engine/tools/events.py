"""Run events of tool calls and agent steps (registered with `@event_type`, stored as
plain events). Arguments are redacted; results appear only as a bounded preview."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from engine.trace.events import RunEvent, event_type


@event_type
@dataclass(slots=True, kw_only=True)
class ToolCalled(RunEvent):
    type: ClassVar[str] = "tool_called"
    tool: str = ""
    call_index: int = 0
    arguments: dict[str, Any] = field(default_factory=dict)
    side_effect: str = "read"
    idempotency_key: str | None = None
    actor: str = "node"
    """node (a tool node) or agent."""


@event_type
@dataclass(slots=True, kw_only=True)
class ToolSucceeded(RunEvent):
    type: ClassVar[str] = "tool_succeeded"
    tool: str = ""
    call_index: int = 0
    duration_s: float = 0.0
    result_preview: str = ""


@event_type
@dataclass(slots=True, kw_only=True)
class ToolFailed(RunEvent):
    type: ClassVar[str] = "tool_failed"
    tool: str = ""
    call_index: int = 0
    error: str = ""
    error_class: str = "tool"


@event_type
@dataclass(slots=True, kw_only=True)
class ToolCallRefused(RunEvent):
    """A call refused in code: not granted, outside scope, or rejected by an approver."""

    type: ClassVar[str] = "tool_refused"
    tool: str = ""
    call_index: int = 0
    reason: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)


@event_type
@dataclass(slots=True, kw_only=True)
class ToolGated(RunEvent):
    """A call matched an approval rule; `decision` is what the approver said."""

    type: ClassVar[str] = "tool_gated"
    tool: str = ""
    call_index: int = 0
    rule: str = ""
    decision: str = ""
    decider: str = ""


@event_type
@dataclass(slots=True, kw_only=True)
class AgentTurn(RunEvent):
    """One model turn of an agent node and the action it chose."""

    type: ClassVar[str] = "agent_turn"
    step: int = 0
    model: str | None = None
    text: str = ""
    action: dict[str, Any] | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


@event_type
@dataclass(slots=True, kw_only=True)
class AgentFinished(RunEvent):
    type: ClassVar[str] = "agent_finished"
    steps: int = 0
    tool_calls: int = 0
    refusals: int = 0
    reason: str = "final"
    """final, max_steps, max_tool_calls, max_cost, deadline."""
    answer: str = ""
