"""The typed run report every format renders: plain frozen values built once from the store
by `engine.reports.build.build_report`. Values here are already redacted, never truncated
(renderers shorten them when shown; the JSON export keeps them whole)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

REPORT_VERSION = 1

SpanKind = Literal["attempt", "retry_wait", "approval_wait", "cached", "skipped"]


@dataclass(frozen=True, slots=True)
class ModelSpend:
    """What one model cost the run, over all of its calls."""

    model: str
    provider: str
    remote: bool
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class Totals:
    duration_s: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    by_model: list[ModelSpend] = field(default_factory=list)
    local_tokens: int = 0
    remote_tokens: int = 0
    local_calls: int = 0
    remote_calls: int = 0

    @property
    def remote_share(self) -> float:
        """Share of model tokens that went to remote endpoints (0 when no tokens)."""
        total = self.local_tokens + self.remote_tokens
        return self.remote_tokens / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Span:
    """One bar of the timeline: an attempt, a wait, or a marker (cached, skipped)."""

    node_id: str
    kind: SpanKind
    start: float
    end: float
    status: str = ""
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class EventView:
    """Any event shown generically: its type and (redacted) data."""

    seq: int
    ts: float
    type: str
    node_id: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AttemptView:
    attempt: int
    status: str
    """succeeded, failed, retrying, waiting, interrupted, running."""
    started_at: float | None
    finished_at: float | None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_class: str | None = None
    retry_delay_s: float | None = None
    model: str | None = None
    provider: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    fallback: bool = False

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)


@dataclass(frozen=True, slots=True)
class RoutingView:
    attempt: int
    call: int
    phase: str
    chosen: str | None
    provider: str | None
    reason: str
    trigger: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    estimate_usd: float = 0.0
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class ModelCallView:
    attempt: int
    call: int
    model: str
    provider: str
    remote: bool
    outcome: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    error: str | None = None
    ended_at: float | None = None


@dataclass(frozen=True, slots=True)
class ToolCallView:
    tool: str
    call_index: int
    status: str
    """ok, failed, refused or started (no outcome recorded)."""
    actor: str = "node"
    side_effect: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    result: Any = ""
    """The result preview (parsed when it is JSON)."""
    error: str | None = None
    duration_s: float | None = None
    gate: str | None = None
    """`rule: decision by decider` when an approval rule matched the call."""
    node_id: str | None = None
    attempt: int = 1
    started_at: float | None = None
    finished_at: float | None = None


@dataclass(frozen=True, slots=True)
class ApprovalView:
    request_id: str
    node_id: str
    kind: str
    title: str
    summary: str
    proposed: Any
    status: str
    """pending, approved, rejected or expired."""
    rule: str | None = None
    decision: str | None = None
    decider: str | None = None
    comment: str = ""
    edited_value: Any = None
    by_deadline: bool = False
    requested_at: float | None = None
    decided_at: float | None = None
    diff: list[str] = field(default_factory=list)
    """Unified diff of pretty JSON, proposed -> edited (edits only)."""


@dataclass(frozen=True, slots=True)
class PromptPart:
    role: str
    text: str


@dataclass(frozen=True, slots=True)
class NodeView:
    node_id: str
    kind: str
    status: str
    title: str = ""
    attempts: list[AttemptView] = field(default_factory=list)
    prompt: list[PromptPart] = field(default_factory=list)
    routing: list[RoutingView] = field(default_factory=list)
    model_calls: list[ModelCallView] = field(default_factory=list)
    tool_calls: list[ToolCallView] = field(default_factory=list)
    approvals: list[ApprovalView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    """Logs, agent turns and event types this version does not know, shown generically."""
    cached_from: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    started_at: float | None = None
    finished_at: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def models(self) -> list[str]:
        seen = [c.model for c in self.model_calls] + [a.model for a in self.attempts if a.model]
        return list(dict.fromkeys(m for m in seen if m))

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)


@dataclass(frozen=True, slots=True)
class Governance:
    tools_granted: list[str]
    tool_scopes: dict[str, Any]
    tools_used: dict[str, int]
    refused: list[ToolCallView]
    gated: list[ToolCallView]
    approvals: dict[str, int]
    """Counts by outcome: approved, rejected, edited, pending, expired."""
    policy_events: list[EventView]
    audit_head: str | None = None
    """Hash of the run's last audit entry (None when it has none or the store keeps none)."""
    audit_entries: int = 0
    audit_chain_ok: bool | None = None
    audit_note: str = ""


@dataclass(frozen=True, slots=True)
class RunSource:
    """The complete run as stored (redacted): what the JSON export writes out."""

    events: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    workflow: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ChildRunView:
    """A run this run started: a map item, a subworkflow, a loop iteration, a workflow tool."""

    run_id: str
    label: str
    """The node (and item or iteration) that started it, e.g. `summarise[2]`."""
    status: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class RunReport:
    run_id: str
    workflow_name: str
    workflow_hash: str
    status: str
    started_at: float
    finished_at: float | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    error: str | None
    totals: Totals
    spans: list[Span]
    nodes: list[NodeView]
    governance: Governance
    run_events: list[EventView]
    """Run-level events other than start/finish (resumes, unknown types)."""
    source: RunSource
    generated_at: float
    parent_run_id: str | None = None
    workflow_path: str | None = None
    resumes: int = 0
    children: list[ChildRunView] = field(default_factory=list)

    def node(self, node_id: str) -> NodeView:
        for view in self.nodes:
            if view.node_id == node_id:
                return view
        raise KeyError(node_id)
