"""The run's typed event stream: the one trace that the store persists, the CLI prints,
the canvas animates and reports render.

Every event is a slotted dataclass with a `type` tag, treated as immutable once emitted
(not declared frozen: frozen dataclasses cost 3x more to build, and a run builds many).
`to_record`/`from_record` turn them into plain JSON-able dicts and back. Other engine
packages declare their own event types (subclass `RunEvent`, decorate with `@event_type`)
in the modules listed in `EVENT_MODULES`, so decoding never depends on what was imported.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

EVENT_TYPES: dict[str, type[RunEvent]] = {}

EVENT_MODULES = ("engine.routing.events", "engine.tools.events")
"""Every module besides this one that declares event types: `from_record` imports them
before decoding, so every stored event decodes to its class whatever was imported."""
_ALL_REGISTERED = False


def _register_all() -> None:
    global _ALL_REGISTERED
    import importlib

    for name in EVENT_MODULES:
        importlib.import_module(name)
    _ALL_REGISTERED = True


E = TypeVar("E", bound="type[RunEvent]")
Ev = TypeVar("Ev", bound="RunEvent")


def event_type(cls: E) -> E:
    """Register an event class under its `type` tag for decoding."""
    EVENT_TYPES[cls.type] = cls
    return cls


@dataclass(slots=True, kw_only=True)
class RunEvent:
    """Common envelope: which run, order within it, wall time, and (for node events) node."""

    type: ClassVar[str] = "event"
    durable: ClassVar[bool] = False
    """Durable events are committed before the runtime moves on (node results, run end)."""

    run_id: str
    seq: int = 0
    ts: float = field(default_factory=time.time)
    node_id: str | None = None

    def payload(self) -> dict[str, Any]:
        """The event's own fields (everything but the envelope), as a dict."""
        return {name: getattr(self, name) for name in _payload_names(type(self))}

    def to_record(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "run_id": self.run_id,
            "seq": self.seq,
            "ts": self.ts,
            "node_id": self.node_id,
            "data": self.payload(),
        }


_ENVELOPE = frozenset({"run_id", "seq", "ts", "node_id"})
_PAYLOAD_NAMES: dict[type[RunEvent], tuple[str, ...]] = {}


def _payload_names(cls: type[RunEvent]) -> tuple[str, ...]:
    names = _PAYLOAD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in _ENVELOPE)
        _PAYLOAD_NAMES[cls] = names
    return names


def from_record(record: dict[str, Any]) -> RunEvent:
    if not _ALL_REGISTERED:
        _register_all()
    cls = EVENT_TYPES.get(record["type"], UnknownEvent)
    data = dict(record.get("data") or {})
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if cls is UnknownEvent:
        kwargs = {"original_type": record["type"], "data": data}
    return cls(
        run_id=record["run_id"],
        seq=record["seq"],
        ts=record["ts"],
        node_id=record["node_id"],
        **kwargs,
    )


@dataclass(slots=True, kw_only=True)
class UnknownEvent(RunEvent):
    """An event written by a newer Interlock; kept verbatim."""

    type: ClassVar[str] = "unknown"
    original_type: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@event_type
@dataclass(slots=True, kw_only=True)
class RunStarted(RunEvent):
    type: ClassVar[str] = "run_started"
    durable: ClassVar[bool] = True
    workflow_name: str = ""
    workflow_hash: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    node_count: int = 0
    parent_run_id: str | None = None
    workflow_path: str | None = None
    pid: int | None = None
    """The process running the run, with `host`: resume refuses while it is alive."""
    host: str = ""
    source_run_id: str | None = None
    """For re-runs from a node: the run whose results were reused."""
    offline: bool = False
    """The run's offline setting, captured at start: no remote model, no network tool."""
    imported: dict[str, Any] | None = None
    """Set by `import-run` on a run from an export (when and from where): a record to read
    and compare, which is never resumed or re-run from."""


@event_type
@dataclass(slots=True, kw_only=True)
class RunResumed(RunEvent):
    type: ClassVar[str] = "run_resumed"
    durable: ClassVar[bool] = True
    completed_nodes: list[str] = field(default_factory=list)
    rerun_nodes: list[str] = field(default_factory=list)
    pid: int | None = None
    host: str = ""
    offline: bool = False


@event_type
@dataclass(slots=True, kw_only=True)
class RunFinished(RunEvent):
    type: ClassVar[str] = "run_finished"
    durable: ClassVar[bool] = True
    status: str = "succeeded"
    """succeeded, failed, cancelled or waiting_approval."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Every output by name; null where its node did not produce a value."""
    output_states: dict[str, str] = field(default_factory=dict)
    """Per output: succeeded, cached, skipped, failed or pending."""
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0


@event_type
@dataclass(slots=True, kw_only=True)
class NodeQueued(RunEvent):
    type: ClassVar[str] = "node_queued"


@event_type
@dataclass(slots=True, kw_only=True)
class NodeStarted(RunEvent):
    type: ClassVar[str] = "node_started"
    attempt: int = 1
    kind: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    fallback: bool = False


@event_type
@dataclass(slots=True, kw_only=True)
class NodeToken(RunEvent):
    type: ClassVar[str] = "node_token"
    attempt: int = 1
    text: str = ""


@event_type
@dataclass(slots=True, kw_only=True)
class NodeRetrying(RunEvent):
    type: ClassVar[str] = "node_retrying"
    attempt: int = 1
    """The attempt that failed."""
    error: str = ""
    error_class: str = "error"
    delay_s: float = 0.0
    next_is_fallback: bool = False
    """The next attempt is the node's fallback rather than a retry."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """What the attempt's calls used, so the run's totals count every attempt."""


@event_type
@dataclass(slots=True, kw_only=True)
class NodeSucceeded(RunEvent):
    type: ClassVar[str] = "node_succeeded"
    durable: ClassVar[bool] = True
    attempt: int = 1
    outputs: dict[str, Any] = field(default_factory=dict)
    """Values by output port; ports left out deliver nothing (their edges are skipped)."""
    duration_s: float = 0.0
    model: str | None = None
    provider: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cache_key: str | None = None
    fallback: bool = False


@event_type
@dataclass(slots=True, kw_only=True)
class NodeFailed(RunEvent):
    type: ClassVar[str] = "node_failed"
    durable: ClassVar[bool] = True
    attempt: int = 1
    error: str = ""
    error_class: str = "error"
    on_error: str = "fail"
    """What happens next: fail (the run fails), continue (null output) or route."""
    outputs: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    fallback: bool = False
    """The attempt that failed was the node's fallback."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """What the attempt's calls used, so the run's totals count every attempt."""


@event_type
@dataclass(slots=True, kw_only=True)
class NodeSkipped(RunEvent):
    type: ClassVar[str] = "node_skipped"
    durable: ClassVar[bool] = True
    reason: str = ""
    attempt: int | None = None
    """Set when a running attempt was cancelled because nothing needed it any more."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """What the cancelled attempt had used."""


@event_type
@dataclass(slots=True, kw_only=True)
class NodeCached(RunEvent):
    type: ClassVar[str] = "node_cached"
    durable: ClassVar[bool] = True
    outputs: dict[str, Any] = field(default_factory=dict)
    cache_key: str = ""
    source: str = "cache"
    """cache (result cache hit) or a run id (re-run from a node reused this result)."""
    origin_run_id: str | None = None
    """For a cache hit: the run whose node computed the result."""


@event_type
@dataclass(slots=True, kw_only=True)
class NodeLog(RunEvent):
    """Free-form diagnostic from a node (warnings, map item progress)."""

    type: ClassVar[str] = "node_log"
    level: str = "info"
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@event_type
@dataclass(slots=True, kw_only=True)
class LoopIteration(RunEvent):
    """One finished iteration of a loop node: what it produced and whether `until` held."""

    type: ClassVar[str] = "loop_iteration"
    durable: ClassVar[bool] = True
    attempt: int = 1
    iteration: int = 1
    outputs: dict[str, Any] = field(default_factory=dict)
    state: Any = None
    """The state carried into the next iteration."""
    converged: bool = False
    child_run_id: str | None = None
    """The iteration's child run, when the body is a workflow file."""


@event_type
@dataclass(slots=True, kw_only=True)
class MapItemDone(RunEvent):
    """One map item ended, after its retries: its result (or, failed, its error record)
    and what it used. A resumed run's map keeps these and runs only the other items."""

    type: ClassVar[str] = "map_item"
    durable: ClassVar[bool] = True
    attempt: int = 1
    """The map node's attempt the item belongs to."""
    index: int = 0
    ok: bool = True
    value: Any = None
    """The item's result; when not `ok`, its error record (index, item, error, class)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    worker: str | None = None
    """The cluster worker that produced the result (None: the coordinator ran the item, or
    it failed)."""


TERMINAL_NODE_EVENTS: tuple[type[RunEvent], ...] = (
    NodeSucceeded,
    NodeFailed,
    NodeSkipped,
    NodeCached,
)

Subscriber = Callable[[RunEvent], None]


class EventBus:
    """Numbers events in order and hands each to every subscriber, synchronously.

    Subscribers must be quick; the store subscriber buffers and commits only durable ones.
    """

    def __init__(self, run_id: str, next_seq: int = 1) -> None:
        self.run_id = run_id
        self._seq = next_seq
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    def next_seq(self) -> int:
        return self._seq

    def emit(self, cls: type[Ev], /, **fields: Any) -> Ev:
        """Create an event of `cls` for this run with the next sequence number and publish it."""
        event = cls(run_id=self.run_id, seq=self._seq, **fields)
        self._seq += 1
        for subscriber in self._subscribers:
            subscriber(event)
        return event


@event_type
@dataclass(slots=True, kw_only=True)
class ApprovalRequested(RunEvent):
    """A node or a policy gate asked a person; the request is in the approvals mailbox."""

    type: ClassVar[str] = "approval_requested"
    durable: ClassVar[bool] = True
    request_id: str = ""
    kind: str = "node"
    title: str = ""
    summary: str = ""
    proposed: Any = None
    rule: str | None = None
    deadline_ts: float | None = None
    default_decision: str | None = None
    approver: str | None = None


@event_type
@dataclass(slots=True, kw_only=True)
class ApprovalDecided(RunEvent):
    type: ClassVar[str] = "approval_decided"
    durable: ClassVar[bool] = True
    request_id: str = ""
    decision: str = ""
    """approve, reject or edit."""
    decider: str = ""
    comment: str = ""
    original: Any = None
    edited_value: Any = None
    by_deadline: bool = False


@event_type
@dataclass(slots=True, kw_only=True)
class NodeWaiting(RunEvent):
    """The node waits for a decision; the run pauses there (other branches go on)."""

    type: ClassVar[str] = "node_waiting"
    durable: ClassVar[bool] = True
    attempt: int = 1
    request_id: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """What the attempt's calls used, so the run's totals count every attempt."""
