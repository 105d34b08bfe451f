"""How run events become rows: the one place that maps each event to its events-table row
and to the run/attempt row change it implies, shared by every `RunStore` backend (rows
are plain dicts, see `rows.py`, so the memory backend stores exactly what SQLite stores)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from engine.audit.secrets import redact_known
from engine.store.errors import StoreError
from engine.store.rows import Row, RowLike, dump_json, load_json
from engine.trace.events import (
    EVENT_TYPES,
    NodeCached,
    NodeFailed,
    NodeRetrying,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    NodeWaiting,
    RunEvent,
    RunFinished,
    RunResumed,
    RunStarted,
    UnknownEvent,
    from_record,
)

OpKind = Literal[
    "insert_run", "resume_run", "finish_run", "start_attempt", "finish_attempt", "append_attempt"
]


@dataclass(frozen=True, slots=True)
class RowOp:
    """One row change derived from one event; backends apply ops in order.

    - insert_run: `values` is a full runs row. A None `workflow_path` is filled from the
      saved workflow version with that hash, if any (RunStarted carries no path).
    - resume_run / finish_run: update the run `values["run_id"]` with the other values;
      a run that does not exist is left alone (the event insert then fails). resume_run
      also marks the run's attempts still `running` as `interrupted` (their process died).
    - start_attempt: upsert a full attempt row (a restarted attempt is reset to running).
    - finish_attempt: upsert; if the attempt row exists only `FINISH_COLUMNS` change,
      otherwise the full row is inserted (a terminal event without its node_started).
    - append_attempt: insert a full attempt row as attempt max(attempt) + 1 for that node,
      or 1 for its first row (attempts count from 1, as `NodeStarted.attempt` does).
    """

    kind: OpKind
    values: Row


FINISH_COLUMNS: tuple[str, ...] = (
    "status",
    "outputs_json",
    "error",
    "error_class",
    "finished_at",
    "model",
    "provider",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
)
"""Attempt columns a terminal event sets on an existing attempt row."""


# ---- events ---------------------------------------------------------------------------


def event_row(event: RunEvent) -> Row:
    """The events-table row of an event (an UnknownEvent is stored under its original type)."""
    if isinstance(event, UnknownEvent):
        type_, data = event.original_type, event.data
    else:
        type_, data = event.type, event.payload()
    return {
        "run_id": event.run_id,
        "seq": event.seq,
        "type": type_,
        "node_id": event.node_id,
        "ts": event.ts,
        "data_json": dump_json(data),
    }


def row_event(row: RowLike) -> RunEvent:
    return from_record(
        {
            "type": row["type"],
            "run_id": row["run_id"],
            "seq": row["seq"],
            "ts": row["ts"],
            "node_id": row["node_id"],
            "data": load_json(row["data_json"]),
        }
    )


# ---- event -> row ops -------------------------------------------------------------------


def _attempt(event: RunEvent, attempt: int | None, **values: Any) -> Row:
    row: Row = {
        "run_id": event.run_id,
        "node_id": event.node_id or "",
        "attempt": attempt,
        "kind": "",
        "status": "running",
        "inputs_json": "{}",
        "outputs_json": "{}",
        "error": None,
        "error_class": None,
        "started_at": event.ts,
        "finished_at": None,
        "model": None,
        "provider": None,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": 0.0,
        "fallback": False,
    }
    row.update(values)
    return row


def _run_started(e: RunStarted) -> RowOp:
    return RowOp(
        "insert_run",
        {
            "run_id": e.run_id,
            "workflow_hash": e.workflow_hash,
            "workflow_name": e.workflow_name,
            "workflow_path": getattr(e, "workflow_path", None),
            "status": "running",
            "started_at": e.ts,
            "finished_at": None,
            "inputs_json": dump_json(e.inputs),
            "outputs_json": "{}",
            "error": None,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cost_usd": 0.0,
            "parent_run_id": e.parent_run_id,
        },
    )


def _run_resumed(e: RunResumed) -> RowOp:
    return RowOp(
        "resume_run",
        {
            "run_id": e.run_id,
            "status": "running",
            "finished_at": None,
            "error": None,
        },
    )


def _run_finished(e: RunFinished) -> RowOp:
    return RowOp(
        "finish_run",
        {
            "run_id": e.run_id,
            "status": e.status,
            "outputs_json": dump_json(e.outputs),
            "error": e.error,
            "prompt_tokens": e.prompt_tokens,
            "completion_tokens": e.completion_tokens,
            "cost_usd": e.cost_usd,
            # A run paused for an approval has not finished.
            "finished_at": None if e.status == "waiting_approval" else e.ts,
        },
    )


def _node_started(e: NodeStarted) -> RowOp:
    return RowOp(
        "start_attempt",
        _attempt(
            e,
            e.attempt,
            kind=e.kind,
            inputs_json=dump_json(e.inputs),
            fallback=e.fallback,
        ),
    )


def _node_waiting(e: NodeWaiting) -> RowOp:
    return RowOp(
        "finish_attempt",
        _attempt(
            e,
            e.attempt,
            status="waiting",
            error=None,
            error_class=None,
            finished_at=None,
            prompt_tokens=e.prompt_tokens,
            completion_tokens=e.completion_tokens,
            cost_usd=e.cost_usd,
        ),
    )


def _node_retrying(e: NodeRetrying) -> RowOp:
    return RowOp(
        "finish_attempt",
        _attempt(
            e,
            e.attempt,
            status="retrying",
            error=e.error,
            error_class=e.error_class,
            finished_at=e.ts,
            prompt_tokens=e.prompt_tokens,
            completion_tokens=e.completion_tokens,
            cost_usd=e.cost_usd,
        ),
    )


def _node_succeeded(e: NodeSucceeded) -> RowOp:
    return RowOp(
        "finish_attempt",
        _attempt(
            e,
            e.attempt,
            status="succeeded",
            outputs_json=dump_json(e.outputs),
            started_at=e.ts - e.duration_s,
            finished_at=e.ts,
            model=e.model,
            provider=e.provider,
            prompt_tokens=e.prompt_tokens,
            completion_tokens=e.completion_tokens,
            cost_usd=e.cost_usd,
        ),
    )


def _node_failed(e: NodeFailed) -> RowOp:
    return RowOp(
        "finish_attempt",
        _attempt(
            e,
            e.attempt,
            status="failed",
            outputs_json=dump_json(e.outputs),
            error=e.error,
            error_class=e.error_class,
            started_at=e.ts - e.duration_s,
            finished_at=e.ts,
            prompt_tokens=e.prompt_tokens,
            completion_tokens=e.completion_tokens,
            cost_usd=e.cost_usd,
        ),
    )


def _node_cached(e: NodeCached) -> RowOp:
    return RowOp(
        "append_attempt",
        _attempt(
            e,
            None,
            status="cached",
            outputs_json=dump_json(e.outputs),
            finished_at=e.ts,
        ),
    )


def _node_skipped(e: NodeSkipped) -> RowOp:
    if e.attempt is not None:  # a running attempt cancelled as no longer needed
        return RowOp(
            "finish_attempt",
            _attempt(
                e,
                e.attempt,
                status="skipped",
                error=e.reason,
                finished_at=e.ts,
                prompt_tokens=e.prompt_tokens,
                completion_tokens=e.completion_tokens,
                cost_usd=e.cost_usd,
            ),
        )
    return RowOp("append_attempt", _attempt(e, None, status="skipped", finished_at=e.ts))


_DERIVERS: dict[type[RunEvent], Callable[[Any], RowOp]] = {
    RunStarted: _run_started,
    RunResumed: _run_resumed,
    RunFinished: _run_finished,
    NodeStarted: _node_started,
    NodeRetrying: _node_retrying,
    NodeSucceeded: _node_succeeded,
    NodeFailed: _node_failed,
    NodeCached: _node_cached,
    NodeSkipped: _node_skipped,
    NodeWaiting: _node_waiting,
}
assert all(EVENT_TYPES.get(cls.type) is cls for cls in _DERIVERS)


def derive(event: RunEvent) -> RowOp | None:
    """The row change an event implies, or None for events stored only as events."""
    deriver = _DERIVERS.get(type(event))
    return deriver(event) if deriver is not None else None


def plan(events: Iterable[RunEvent]) -> tuple[list[RowOp], list[Row]]:
    """Row ops (in event order) and event rows for a batch passed to `append_events`."""
    ops: list[RowOp] = []
    rows: list[Row] = []
    for event in events:
        if not isinstance(event, RunEvent):
            raise StoreError(f"not a RunEvent: {event!r}")
        op = derive(event)
        if op is not None:
            ops.append(RowOp(op.kind, _redacted(op.values)))
        rows.append(event_row(event))
    return ops, rows


def _redacted(row: Row) -> Row:
    """Known secrets out of a row's text columns (its JSON ones are redacted by dump_json)."""
    return {k: redact_known(v) if isinstance(v, str) else v for k, v in row.items()}


# ---- rows -> records --------------------------------------------------------------------
