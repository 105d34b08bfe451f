"""What a resumed run keeps: replaying a run's stored events into node presets, attempt
counters, announced approvals, the usage so far and loop progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.routing.budget import Usage
from engine.runtime.execution import Preset
from engine.trace.events import (
    ApprovalDecided,
    ApprovalRequested,
    LoopIteration,
    NodeCached,
    NodeFailed,
    NodeRetrying,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    NodeWaiting,
    RunEvent,
)

_KEPT = (NodeSucceeded, NodeCached, NodeSkipped)
_ATTEMPT_ENDS = (NodeSucceeded, NodeFailed, NodeRetrying, NodeWaiting, NodeSkipped)


def replay(events: Sequence[RunEvent]) -> tuple[dict[str, Preset], dict[str, int], set[str]]:
    """Finished nodes (kept as they ended), attempts so far per node, and the approval
    request/decision events already in the trace (so none is announced twice)."""
    presets: dict[str, Preset] = {}
    attempts: dict[str, int] = {}
    announced: set[str] = set()
    for event in events:
        if isinstance(event, ApprovalRequested):
            announced.add(f"r:{event.request_id}")
        elif isinstance(event, ApprovalDecided):
            announced.add(f"d:{event.request_id}")
        node_id = event.node_id
        if node_id is None:
            continue
        if isinstance(event, NodeStarted):
            attempts[node_id] = max(attempts.get(node_id, 0), event.attempt)
        elif isinstance(event, NodeSucceeded | NodeCached) or (
            isinstance(event, NodeFailed) and event.on_error != "fail"
        ):
            presets[node_id] = Preset("resume", "done", event.outputs)
        elif isinstance(event, NodeSkipped):
            presets[node_id] = Preset("resume", "skipped")
    return presets, attempts, announced


def loop_progress(events: Sequence[RunEvent]) -> dict[str, list[dict[str, Any]]]:
    """The iterations each unfinished loop node recorded in its latest attempt (a node that
    failed is run again on resume, and continues after them)."""
    progress: dict[str, list[dict[str, Any]]] = {}
    latest: dict[str, int] = {}
    for event in events:
        if isinstance(event, LoopIteration) and event.node_id is not None:
            if event.attempt != latest.get(event.node_id):
                latest[event.node_id] = event.attempt
                progress[event.node_id] = []
            progress[event.node_id].append(event.payload())
        elif isinstance(event, _KEPT) and event.node_id is not None:
            progress.pop(event.node_id, None)  # finished: nothing to continue
            latest.pop(event.node_id, None)
    return progress


def usage_so_far(events: Sequence[RunEvent]) -> Usage:
    """What the run's attempts used before this process: the sum over every event that
    ended an attempt, so budgets and totals carry across pauses, resumes and restarts."""
    usage = Usage()
    for event in events:
        if isinstance(event, _ATTEMPT_ENDS):
            usage.add(event.prompt_tokens, event.completion_tokens, event.cost_usd)
    return usage
