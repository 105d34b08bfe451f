"""A connection to a Ray cluster: one item actor per worker node (its process keeps the
local models loaded), bounded in-flight items per worker, and an item retried on another
worker when its worker dies; when the head stops answering (or no worker is left) the
run stops as interrupted. The only module that imports `ray`, and only when used."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.cluster.loopback import keep_loopback_for
from engine.cluster.worker import ItemReply, ItemWorker, TemplateItem, WorkflowItem
from engine.errors import InterlockError, RunInterrupted

log = logging.getLogger(__name__)

WORKER_RESOURCE = "interlock_worker"
"""The custom resource `interlock cluster start` (and `cluster join`) gives worker nodes."""

DEFAULT_IN_FLIGHT = 4
"""Items one worker runs at once; more wait on the coordinator (back-pressure)."""

HEAD_PROBE_S = 1.0
"""While items are out, the head's port is probed this often (and given this long)."""
HEAD_MISSES = 3
"""Probes in a row the head may miss before the cluster counts as lost."""
NEVER_S = 10 * 365 * 24 * 3600
"""How long a driver waits for a lost head before Ray ends its process (Ray's default is a
minute): the run is interrupted and recorded instead, and a window outlives its cluster."""

_abandoned: str | None = None
"""The address of the cluster this process lost, if it did (it cannot connect again)."""


class ClusterError(InterlockError):
    """The cluster cannot be reached or has no worker to run items on."""


class ItemActor:
    """The actor on each worker node: an `ItemWorker` living as long as the connection."""

    def __init__(self, name: str, data_dir: str | None) -> None:
        self.worker = ItemWorker(name, data_dir)

    def ready(self) -> tuple[str, int]:
        return self.worker.name, os.getpid()

    async def run_template(self, item: TemplateItem) -> ItemReply:
        return await self.worker.run_template(item)

    async def run_workflow(self, item: WorkflowItem) -> ItemReply:
        return await self.worker.run_workflow(item)


@dataclass
class Worker:
    """One worker node's actor, as the coordinator sees it."""

    name: str
    pid: int
    handle: Any
    busy: int = 0
    """Items sent and not yet answered (at most the connection's `in_flight`)."""
    done: int = 0
    """Items answered: per-worker progress."""
    alive: bool = True


def use_token(token_path: Path) -> None:
    """Authenticate to the cluster with the token in `token_path` (Ray's token auth)."""
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN_PATH"] = str(token_path)
    if "ray" in sys.modules:  # already imported: make it read them again
        try:
            from ray._raylet import AuthenticationTokenLoader, Config  # type: ignore[attr-defined]

            Config.initialize("")
            AuthenticationTokenLoader.instance().reset_cache()
        except ImportError:  # another Ray version: the connection says if the token is off
            log.warning("ray was imported before the cluster token was set")


class Cluster:
    """The coordinator's handle on the cluster's workers."""

    def __init__(self, address: str, workers: list[Worker], in_flight: int) -> None:
        self.address = address
        self.workers = workers
        self.in_flight = in_flight
        self._free: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.lost: str | None = None
        """Why the cluster is gone (its head stopped answering), once it is."""
        self._watch: asyncio.Task[None] | None = None
        self._waiting = 0

    @classmethod
    def connect(
        cls,
        address: str,
        *,
        in_flight: int = DEFAULT_IN_FLIGHT,
        token_path: Path | None = None,
        data_dir: str | None = None,
    ) -> Cluster:
        """Join the cluster at `address` (host:port of its head) as a driver and start an
        item actor on every live worker node. Blocks until each actor answers."""
        if _abandoned is not None:
            raise ClusterError(
                f"this process lost the cluster it was connected to ({_abandoned}); Ray "
                "cannot connect it to another: restart it (the runs it recorded are kept)"
            )
        os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(NEVER_S))
        if token_path is not None:  # before importing ray, which reads the token then
            use_token(token_path)
        try:
            import ray
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        except ImportError:
            raise ClusterError(
                "running on a cluster needs Ray: pip install 'interlock[cluster]'"
            ) from None
        if not ray.is_initialized():
            keep_loopback_for(address)  # a head on 127.0.0.1 only is looked for there
            try:
                ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
            except Exception as exc:
                raise ClusterError(f"cannot connect to the cluster at {address}: {exc}") from exc
        everything: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
        nodes = [n for n in everything if n["Alive"] and n["Resources"].get(WORKER_RESOURCE)]
        if not nodes:
            raise ClusterError(
                f"the cluster at {address} has no worker nodes; add some with "
                "`interlock cluster start --workers N` or `interlock cluster join`"
            )
        actor: Any = ray.remote(ItemActor)
        handles: list[Any] = []
        for node in nodes:
            name = f"{node['NodeManagerAddress']}:{node['NodeManagerPort']}"
            strategy = NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
            options = actor.options(
                scheduling_strategy=strategy,
                max_concurrency=in_flight,
                num_cpus=0,
                max_restarts=0,
            )
            handles.append(options.remote(name, data_dir))
        answers: list[tuple[str, int]] = ray.get([h.ready.remote() for h in handles], timeout=300)
        workers = [Worker(name, pid, h) for (name, pid), h in zip(answers, handles, strict=True)]
        log.info("connected to %s: %d workers", address, len(workers))
        return cls(address, workers, in_flight)

    def close(self) -> None:
        """Stop this connection's item actors (the cluster keeps running)."""
        import ray

        if self.lost is not None:  # nothing to stop, and asking would hang
            return
        for worker in self.workers:
            if worker.alive:
                ray.kill(worker.handle)
            worker.alive = False

    @property
    def live(self) -> list[Worker]:
        return [w for w in self.workers if w.alive]

    async def call(
        self,
        method: str,
        item: TemplateItem | WorkflowItem,
        log_line: Callable[[str, str], None],
    ) -> ItemReply:
        """Run `item` on the least busy live worker, waiting for a free slot; when that
        worker dies mid-item, run it again on another one (each try is an attempt)."""
        from ray.exceptions import RayActorError

        loop = asyncio.get_running_loop()
        if self._free is None or self._loop is not loop:  # one condition per event loop
            self._free, self._loop = asyncio.Condition(), loop
        free = self._free
        attempt = 0
        while True:
            attempt += 1
            async with free:
                await free.wait_for(
                    lambda: self.lost is not None or not self.live or self._idlest() is not None
                )
                worker = self._idlest()
                if self.lost is not None:
                    raise RunInterrupted(self.lost)
                if worker is None:
                    raise RunInterrupted(f"every worker of the cluster at {self.address} is gone")
                worker.busy += 1
            try:
                reply: ItemReply = await self._answer(getattr(worker.handle, method).remote(item))
                worker.done += 1
                return reply
            except RayActorError as exc:
                worker.alive = False
                log.warning("worker %s lost: %s", worker.name, exc)
                if not self.live:
                    raise RunInterrupted(
                        f"worker {worker.name} was lost mid-item and no worker of the cluster "
                        f"at {self.address} is left"
                    ) from None
                log_line(
                    "warning",
                    f"attempt {attempt} of an item was lost with worker {worker.name}; "
                    "retrying on another worker",
                )
            finally:
                async with free:
                    worker.busy -= 1
                    free.notify_all()

    async def _answer(self, ref: Any) -> ItemReply:
        """The reply `ref` brings, unless the head stops answering first (RunInterrupted).
        The head is watched while any item is out."""
        answer: asyncio.Future[ItemReply] = asyncio.ensure_future(ref)
        self._waiting += 1
        try:
            while True:
                if self._watch is None:
                    self._watch = asyncio.get_running_loop().create_task(self._watch_head())
                watch = self._watch
                either: set[asyncio.Future[Any]] = {answer, watch}
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
                if answer.done():
                    return answer.result()
                if self.lost is not None:
                    raise RunInterrupted(self.lost)
                if not watch.cancelled():
                    watch.result()  # what broke the watch, if anything did
                if self._watch is watch:  # stopped while no item was out: watch anew
                    self._watch = None
        finally:
            if not answer.done():
                answer.cancel()
            self._waiting -= 1
            if self._waiting == 0 and self._watch is not None:
                self._watch.cancel()
                self._watch = None

    async def _watch_head(self) -> None:
        """Return once the head's port has refused or ignored `HEAD_MISSES` probes in a row
        (setting `lost`); cancelled when no item is out."""
        host, _, port = self.address.rpartition(":")
        misses = 0
        while misses < HEAD_MISSES:
            await asyncio.sleep(HEAD_PROBE_S)
            try:
                async with asyncio.timeout(HEAD_PROBE_S):
                    _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
                writer.close()
                misses = 0
            except (OSError, TimeoutError):
                misses += 1
        self._watch = None  # a later connection attempt starts afresh
        self.lost = f"the cluster's head at {self.address} stopped answering"
        log.info("%s", self.lost)
        for worker in self.workers:
            worker.alive = False
        _abandon(self.address)
        if self._free is not None:
            async with self._free:
                self._free.notify_all()

    def _idlest(self) -> Worker | None:
        open_ = [w for w in self.live if w.busy < self.in_flight]
        return min(open_, key=lambda w: w.busy) if open_ else None


def abandoned() -> str | None:
    """The address of the cluster this process lost, if it lost one."""
    return _abandoned


def _abandon(address: str) -> None:
    """Give up this process's Ray driver for good: Ray's `shutdown` (also at exit) would
    ask the head's dead raylet to let go and, failing, end the process on the spot."""
    global _abandoned
    import ray

    _abandoned = address
    atexit.unregister(ray.shutdown)
