"""Whether a stored run can be continued from this window: it failed, was cancelled or was
interrupted (its cluster was lost), its process died while it ran, or it waits for an
approval that has since been decided (the decision is in the store but not yet in the
run's trace)."""

from __future__ import annotations

import os
import socket

from engine.runtime.ownership import process_alive
from engine.store.leases import Lease
from engine.store.protocol import RunStore
from engine.trace.events import ApprovalDecided, RunResumed, RunStarted

ENDED_UNFINISHED = frozenset({"failed", "cancelled", "interrupted"})


def resumable(store: RunStore, run_id: str) -> bool:
    """Blocking (reads the run's events): call it off the GUI thread."""
    record = store.get_run(run_id)
    if record is None:
        return False
    if record.status in ENDED_UNFINISHED:
        return True
    if record.status == "waiting_approval":
        decided = {
            r.request_id for r in store.list_approvals(None, run_id) if r.status != "pending"
        }
        seen = {e.request_id for e in store.events(run_id) if isinstance(e, ApprovalDecided)}
        return bool(decided - seen)
    if record.status == "running":
        return owner_gone(run_id, store)
    return False


def owner_gone(run_id: str, store: RunStore) -> bool:
    """A `running` run whose process is gone (a crash). Its process is known from its last
    start or resume; on another host the engine decides when it resumes (once the owner's
    lease has expired), so it counts as gone here."""
    events = store.events(run_id)
    owner = next((e for e in reversed(events) if isinstance(e, RunStarted | RunResumed)), None)
    if owner is None or owner.pid is None:
        return True
    if owner.pid == os.getpid():
        return False  # running here (or in an evaluation of this window)
    if owner.host != socket.gethostname():
        return True
    return not process_alive(Lease(run_id, "", owner.host, owner.pid, 0.0))
