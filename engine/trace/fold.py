"""The one fold of a run's event stream into run, node and attempt state, spans and
totals. The engine's live view, the store's records, the reports and the app's overlays,
replay, trace and compare all agree because they all read this."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.trace.events import (
    ApprovalDecided,
    ApprovalRequested,
    NodeCached,
    NodeFailed,
    NodeQueued,
    NodeRetrying,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    NodeToken,
    NodeWaiting,
    RunEvent,
    RunFinished,
    RunResumed,
    RunStarted,
)
from engine.trace.status import TERMINAL, NodeStatus, RunStatus

STATES = tuple(NodeStatus)


@dataclass
class Span:
    """A stretch of a node's time: `run` (an attempt), `retry_wait` or `approval_wait`."""

    kind: str
    start: float
    end: float | None = None
    status: str = ""
    attempt: int = 1


@dataclass
class Attempt:
    number: int
    started: float
    ended: float | None = None
    status: str = NodeStatus.RUNNING
    error: str | None = None
    error_class: str | None = None
    retry_delay_s: float | None = None


@dataclass
class NodeRun:
    """Everything known about one node of one run, up to the last applied event."""

    node_id: str
    state: str | None = None
    kind: str = ""
    attempt: int = 0
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    stream: str = ""
    error: str | None = None
    model: str | None = None
    provider: str | None = None
    remote: bool | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float | None = None
    first_start: float | None = None
    last_change: float | None = None
    spans: list[Span] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    events: list[RunEvent] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    def elapsed(self, now: float) -> float | None:
        """Seconds since the node first started (to its end once it finished)."""
        if self.first_start is None:
            return None
        end = self.spans[-1].end if self.spans and self.done else None
        return max(0.0, (end if end is not None else now) - self.first_start)

    def add_usage(self, event: Any) -> None:
        """Count what an ended attempt used (the run's totals are the sum of these)."""
        self.prompt_tokens += event.prompt_tokens
        self.completion_tokens += event.completion_tokens
        self.cost_usd += event.cost_usd

    def _close(self, ts: float, status: str = "") -> None:
        if self.spans and self.spans[-1].end is None:
            self.spans[-1].end = ts
            self.spans[-1].status = self.spans[-1].status or status

    def _open(self, kind: str, ts: float, attempt: int, status: str = "") -> None:
        self._close(ts)
        self.spans.append(Span(kind, ts, None, status, attempt))


@dataclass
class RunState:
    """The fold of one run's events; `apply` returns the node id an event touched."""

    run_id: str = ""
    workflow_name: str = ""
    workflow_hash: str = ""
    node_count: int = 0
    status: str = "idle"
    """idle until the first event, then a `RunStatus`."""
    started: float | None = None
    finished: float | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    nodes: dict[str, NodeRun] = field(default_factory=dict)
    events: list[RunEvent] = field(default_factory=list)
    carried: set[tuple[str, str]] = field(default_factory=set)
    """(node, output port) pairs that delivered a value: their edges carried data."""

    def node(self, node_id: str) -> NodeRun:
        run = self.nodes.get(node_id)
        if run is None:
            run = self.nodes[node_id] = NodeRun(node_id)
        return run

    @property
    def prompt_tokens(self) -> int:
        return sum(n.prompt_tokens for n in self.nodes.values())

    @property
    def completion_tokens(self) -> int:
        return sum(n.completion_tokens for n in self.nodes.values())

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_usd(self) -> float:
        return sum(n.cost_usd for n in self.nodes.values())

    @property
    def done_count(self) -> int:
        return sum(1 for n in self.nodes.values() if n.done)

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return max(0.0, (self.finished or now) - self.started)

    def apply(self, event: RunEvent) -> str | None:
        self.events.append(event)
        if isinstance(event, RunStarted):
            self.run_id, self.status, self.started = event.run_id, RunStatus.RUNNING, event.ts
            self.workflow_name, self.workflow_hash = event.workflow_name, event.workflow_hash
            self.node_count, self.inputs = event.node_count, dict(event.inputs)
            return None
        if isinstance(event, RunResumed):
            self.status, self.finished = RunStatus.RUNNING, None
            return None
        if isinstance(event, RunFinished):
            self.status, self.finished = event.status, event.ts
            self.outputs, self.error = dict(event.outputs), event.error
            for node in self.nodes.values():
                if node.state not in TERMINAL and node.state != NodeStatus.WAITING:
                    node._close(event.ts, event.status)
            return None
        if event.node_id is None:
            return None
        node = self.node(event.node_id)
        node.events.append(event)
        node.last_change = event.ts
        _apply_node(self, node, event)
        return node.node_id


def _apply_node(run: RunState, node: NodeRun, event: RunEvent) -> None:
    ts = event.ts
    if isinstance(event, NodeQueued):
        node.state = node.state or NodeStatus.QUEUED
    elif isinstance(event, NodeStarted):
        node.state, node.attempt, node.kind = NodeStatus.RUNNING, event.attempt, event.kind
        node.inputs, node.stream, node.error = dict(event.inputs), "", None
        node.first_start = node.first_start if node.first_start is not None else ts
        node._open("run", ts, event.attempt)
        node.attempts.append(Attempt(event.attempt, ts))
    elif isinstance(event, NodeToken):
        node.state = NodeStatus.STREAMING
        node.stream += event.text
    elif isinstance(event, NodeRetrying):
        node.state, node.error = NodeStatus.RETRYING, event.error
        node._close(ts, NodeStatus.FAILED)
        node.add_usage(event)
        node._open("retry_wait", ts, event.attempt)
        node.spans[-1].end = ts + event.delay_s
        if node.attempts:
            a = node.attempts[-1]
            a.ended, a.status, a.error, a.error_class = (
                ts,
                NodeStatus.RETRYING,
                event.error,
                event.error_class,
            )
            a.retry_delay_s = event.delay_s
    elif isinstance(event, NodeWaiting):
        node.state = NodeStatus.WAITING
        node.add_usage(event)
        last = node.spans[-1] if node.spans else None
        if last is None or last.kind != "approval_wait" or last.end is not None:
            node._open("approval_wait", ts, event.attempt)
        if node.attempts:
            node.attempts[-1].status = NodeStatus.WAITING
    elif isinstance(event, ApprovalRequested):
        if node.state not in TERMINAL:
            node.state = NodeStatus.WAITING
            node._open("approval_wait", ts, node.attempt or 1)
    elif isinstance(event, ApprovalDecided):
        if node.state == NodeStatus.WAITING:
            node._close(ts, event.decision)
            node._open("run", ts, node.attempt or 1)
            node.state = NodeStatus.RUNNING
    elif isinstance(event, NodeSucceeded | NodeCached | NodeFailed | NodeSkipped):
        _terminal(run, node, event)
    elif event.type == "model_call":
        data = event.payload()
        node.model, node.provider = data.get("model") or node.model, data.get("provider")
        node.remote = bool(data.get("remote"))


def _terminal(run: RunState, node: NodeRun, event: RunEvent) -> None:
    ts = event.ts
    if isinstance(event, NodeSucceeded):
        node.state, node.outputs = NodeStatus.SUCCEEDED, dict(event.outputs)
        node.model = event.model or node.model
        node.provider = event.provider or node.provider
        if node.remote is None and node.provider is not None:
            node.remote = node.provider != "local"
        node.add_usage(event)
        node.duration_s = event.duration_s
    elif isinstance(event, NodeCached):
        node.state, node.outputs = NodeStatus.CACHED, dict(event.outputs)
        node.first_start = node.first_start if node.first_start is not None else ts
        node.spans.append(Span("run", ts, ts, NodeStatus.CACHED))
    elif isinstance(event, NodeFailed):
        node.state, node.error, node.outputs = NodeStatus.FAILED, event.error, dict(event.outputs)
        node.duration_s = event.duration_s
        node.add_usage(event)
    elif isinstance(event, NodeSkipped):
        node.state, node.error = NodeStatus.SKIPPED, event.reason or None
        node.add_usage(event)
    node._close(ts, node.state or "")
    if node.attempts and node.attempts[-1].ended is None:
        a = node.attempts[-1]
        a.ended, a.status, a.error = ts, node.state or "", node.error
        if isinstance(event, NodeFailed):
            a.error_class = event.error_class
    for port, value in (node.outputs or {}).items():
        if value is not None:
            run.carried.add((node.node_id, port))


def fold(events: Iterable[RunEvent], upto_seq: int | None = None) -> RunState:
    """The run state after every event with `seq <= upto_seq` (all when None)."""
    state = RunState()
    for event in events:
        if upto_seq is not None and event.seq > upto_seq:
            break
        state.apply(event)
    return state
