"""Run leases: one process owns a run at a time. The lease is taken atomically in the
store before a run (or its resume) executes anything, renewed while it runs and released
when it ends; a crashed owner's lease expires, or is taken over at once on the same host
when its process is gone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

LEASE_TTL_S = 30.0
"""How long a lease holds without renewal (the owner renews every third of it)."""


@dataclass(frozen=True, slots=True)
class Lease:
    run_id: str
    owner: str
    """Unique per engine run in a process: a second resume in the same process differs."""
    host: str
    pid: int
    expires_at: float


Alive = Callable[[Lease], bool]
"""Whether a holder's process still runs (only answerable on its own host)."""


def may_take(holder: Lease | None, claimant: Lease, now: float, alive: Alive) -> bool:
    """Whether `claimant` may take the run from `holder`: nobody holds it, the holder is
    the claimant, its lease expired, or its process on this host is gone."""
    if holder is None or holder.owner == claimant.owner or holder.expires_at < now:
        return True
    return holder.host == claimant.host and not alive(holder)
