"""Run and node statuses: one spelling for the engine, the store, the reports and the app.

Both are `StrEnum`s, so a status compares equal to its string and is stored as one.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    WAITING_APPROVAL = "waiting_approval"
    """Paused: a node waits for a person's decision; approving or `resume` continues it."""
    INTERRUPTED = "interrupted"
    """Stopped by something outside the workflow (its cluster was lost); what finished is
    kept and `resume` continues it, here or on another cluster."""


class NodeStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    STREAMING = "streaming"
    """Running, with model tokens arriving."""
    RETRYING = "retrying"
    """An attempt failed; the next one (or the fallback) follows."""
    WAITING = "waiting"
    """Waiting for an approval decision."""
    SUCCEEDED = "succeeded"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"


TERMINAL = frozenset(
    {NodeStatus.SUCCEEDED, NodeStatus.CACHED, NodeStatus.FAILED, NodeStatus.SKIPPED}
)
"""A node in one of these has finished for good in this run."""
