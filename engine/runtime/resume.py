"""What a resumed run keeps: replaying a run's stored events into node presets, attempt
counters, announced approvals, the usage so far and the progress of loops and maps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.routing.budget import Usage
from engine.runtime.execution import Preset
from engine.trace.events import (
    ApprovalDecided,
    ApprovalRequested,
    LoopIteration,
    MapItemDone,
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
_PROGRESS = (LoopIteration, MapItemDone)
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


def node_progress(events: Sequence[RunEvent]) -> dict[str, list[dict[str, Any]]]:
    """What each unfinished loop or map node recorded in its latest attempt: a loop's
    iterations, a map's finished items (a node that failed is run again on resume, and
    continues after them). A map item's entry says `counted` when its attempt ended, so
    its usage is already in that attempt's end event; else the resumed attempt owns it."""
    progress: dict[str, list[dict[str, Any]]] = {}
    latest: dict[str, int] = {}
    for event in events:
        node_id = event.node_id
        if node_id is None:
            continue
        if isinstance(event, _PROGRESS):
            if event.attempt != latest.get(node_id):
                latest[node_id] = event.attempt
                progress[node_id] = []
            progress[node_id].append(event.payload() | {"counted": False})
        elif isinstance(event, _KEPT):
            progress.pop(node_id, None)  # finished: nothing to continue
            latest.pop(node_id, None)
        elif isinstance(event, _ATTEMPT_ENDS) and getattr(event, "attempt", None) == latest.get(
            node_id
        ):
            for entry in progress.get(node_id, []):
                entry["counted"] = True
    return progress


def usage_so_far(events: Sequence[RunEvent]) -> Usage:
    """What the run's attempts used before this process: the sum over every event that
    ended an attempt, so budgets and totals carry across pauses, resumes and restarts."""
    usage = Usage()
    for event in events:
        if isinstance(event, _ATTEMPT_ENDS):
            usage.add(event.prompt_tokens, event.completion_tokens, event.cost_usd)
    return usage
