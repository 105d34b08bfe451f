"""Event builders and helpers shared by the run store tests."""

from __future__ import annotations

from typing import Any

from engine.store import RunStore
from engine.trace.events import (
    NodeCached,
    NodeFailed,
    NodeLog,
    NodeQueued,
    NodeRetrying,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    NodeToken,
    RunEvent,
    RunFinished,
    RunStarted,
)


class Events:
    """Builds the events of one run with consecutive seq numbers and timestamps."""

    def __init__(self, run_id: str, t0: float = 1_000.0) -> None:
        self.run_id = run_id
        self.seq = 0
        self.t = t0

    def __call__(self, cls: type[RunEvent], **fields: Any) -> Any:
        self.seq += 1
        self.t += 1.0
        fields.setdefault("ts", self.t)
        return cls(run_id=self.run_id, seq=self.seq, **fields)


NESTED: dict[str, Any] = {
    "emoji": "🧪 naïve — 日本語",
    "nested": {"list": [1, 2.5, None, True, {"k": "ü", "empty": {}}], "deep": [[[]]]},
    "quotes": "\"'\\\n\t",
    "big": 2**53,
}


def run_life(run_id: str = "r1") -> list[RunEvent]:
    """A run exercising every derived row: a retry, a cache hit, a skip, a failure."""
    ev = Events(run_id)
    return [
        ev(RunStarted, workflow_name="demo", workflow_hash="h1", inputs={"q": "hi"}, node_count=4),
        ev(NodeQueued, node_id="a"),
        ev(NodeStarted, node_id="a", attempt=1, kind="llm", inputs={"prompt": "p"}),
        ev(NodeRetrying, node_id="a", attempt=1, error="rate limited", error_class="transient"),
        ev(NodeStarted, node_id="a", attempt=2, kind="llm", inputs={"prompt": "p"}),
        ev(NodeToken, node_id="a", attempt=2, text="h"),
        ev(NodeToken, node_id="a", attempt=2, text="i"),
        ev(
            NodeSucceeded,
            node_id="a",
            attempt=2,
            outputs={"text": "hi"},
            duration_s=1.0,
            model="m1",
            provider="local",
            prompt_tokens=5,
            completion_tokens=7,
            cost_usd=0.25,
        ),
        ev(NodeCached, node_id="b", outputs={"v": 1}, cache_key="k1"),
        ev(NodeSkipped, node_id="c", reason="branch not taken"),
        ev(NodeStarted, node_id="d", kind="tool", inputs={"x": 1}),
        ev(NodeLog, node_id="d", level="warning", message="slow"),
        ev(
            NodeFailed,
            node_id="d",
            error="boom",
            error_class="error",
            on_error="continue",
            duration_s=1.0,
        ),
        ev(
            RunFinished,
            status="failed",
            outputs={"answer": "hi"},
            error="d failed",
            prompt_tokens=5,
            completion_tokens=7,
            cost_usd=0.25,
            duration_s=12.0,
        ),
    ]


def append_like_runtime(store: RunStore, events: list[RunEvent]) -> None:
    """Buffer events and flush at each durable one, as the runtime's store subscriber does."""
    buffer: list[RunEvent] = []
    for event in events:
        buffer.append(event)
        if event.durable:
            store.append_events(buffer)
            buffer = []
    if buffer:
        store.append_events(buffer)


def snapshot(store: RunStore, run_id: str) -> tuple[Any, ...]:
    return (store.get_run(run_id), store.events(run_id), store.attempts(run_id))
