"""Owning a run while it executes: the store lease taken before anything runs, renewed in
the background, released at the end; losing it (another process took the run over after
this one stalled past the lease) stops the run at once."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable

from engine.errors import RunError
from engine.store.leases import LEASE_TTL_S, Lease
from engine.store.protocol import RunStore

log = logging.getLogger(__name__)


def process_alive(lease: Lease) -> bool:
    """Whether the holder's process still runs (asked only for leases of this host)."""
    if lease.pid == os.getpid():
        return True
    try:
        os.kill(lease.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunOwnership:
    """The lease on one run held by this engine while it executes the run."""

    def __init__(self, store: RunStore, run_id: str, ttl_s: float = LEASE_TTL_S) -> None:
        self.store, self.ttl_s = store, ttl_s
        owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease = Lease(run_id, owner, socket.gethostname(), os.getpid(), 0.0)
        self._renewal: asyncio.Task[None] | None = None

    def take(self, *, force: bool = False) -> None:
        """Own the run, or raise RunError naming who does. `force` takes it over from a
        live owner too (the user says that process is stuck)."""
        now = time.time()
        claimant = self._extended(now)
        if force:
            holder = self.store.take_lease(claimant, float("inf"), lambda _: False)
        else:
            holder = self.store.take_lease(claimant, now, process_alive)
        if holder is not None:
            left = max(0.0, holder.expires_at - now)
            raise RunError(
                f"run {claimant.run_id} is running in process {holder.pid} on {holder.host} "
                f"(its lease holds for {left:.0f} s more); stop it first, or use --force if "
                "that process is stuck"
            )
        self.lease = claimant

    def keep(self, on_lost: Callable[[str], None]) -> None:
        """Renew the lease every third of its lifetime until `release`."""
        self._renewal = asyncio.get_running_loop().create_task(self._renew(on_lost))

    async def _renew(self, on_lost: Callable[[str], None]) -> None:
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            lease = self._extended(time.time())
            try:
                kept = self.store.renew_lease(lease)
            except Exception as exc:  # the store is failing: the run cannot be recorded
                on_lost(f"the run store failed renewing the run's lease: {exc}")
                return
            if not kept:
                on_lost("another process took this run over (its lease lapsed)")
                return
            self.lease = lease

    def release(self) -> None:
        if self._renewal is not None:
            self._renewal.cancel()
            self._renewal = None
        try:
            self.store.release_lease(self.lease.run_id, self.lease.owner)
        except Exception:  # the lease expires by itself
            log.warning("could not release the lease on run %s", self.lease.run_id, exc_info=True)

    def _extended(self, now: float) -> Lease:
        lease = self.lease
        return Lease(lease.run_id, lease.owner, lease.host, lease.pid, now + self.ttl_s)
