"""The store, providers and registry that one window's runs, panels and dialogs share,
opened on first use (so the data folder from the settings applies first) or warmed up in a
background thread once the window has painted, and the engine thread the window's runs
execute on. Local inference leaves one core to the UI thread, and model files are checked
off the event loop."""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from desktop.collector import long_lived_imports
from desktop.run.engine_thread import EngineThread, on_gui
from engine.nodes.base import NodeRegistry
from engine.providers.base import ProviderRegistry
from engine.runtime.approval_gate import Approver, defer
from engine.runtime.engine import Engine
from engine.store.protocol import RunStore

if TYPE_CHECKING:
    from engine.cluster.connection import Cluster
    from engine.nodes.executor import ItemExecutor
    from engine.providers.local import LocalProvider
    from engine.workflow.model import ExecutorPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")
_opening = threading.Lock()
"""One store opening at a time in the process: two windows' warm-ups opening one new file
at once would race in its schema migration."""

FIRST_RUN_MODULES = ("llama_cpp",)
"""Imported by the first model load. Importing llama.cpp and numpy in a replica's thread
during the first run set off a full garbage collection there, which held the GIL for
~110 ms and froze the event loop (see `desktop.collector`). The warm-up imports
them before any run, with the collector paused, and freezes what they made."""


class EngineSession:
    def __init__(self, registry: NodeRegistry, db_path: str | None = None) -> None:
        self.registry = registry
        self.db_path = db_path
        self._store: RunStore | None = None
        self._providers: ProviderRegistry | None = None
        self._lock = threading.RLock()
        """Held while the store or providers open (by the warm-up thread, possibly)."""
        self._warm_lock = threading.Lock()
        self._warming: Future[None] | None = None
        self._closed = False
        self._clusters: dict[tuple[str, str | None], tuple[ItemExecutor, Cluster]] = {}
        """Connections to clusters, kept for the window's later runs (each connection's
        workers keep their models loaded)."""
        self.engine_thread = EngineThread()
        """Where runs and evaluations execute (their store writes wait there, never on the
        window's thread)."""

    @property
    def store(self) -> RunStore:
        if self._store is None:
            with self._lock, _opening:  # the warm-up thread may be opening it right now
                if self._store is None:
                    from engine.store import open_store

                    self._store = open_store(self.db_path)
        return self._store

    @property
    def store_ready(self) -> bool:
        """Whether `store` is open (reading it then costs no import or file opening)."""
        return self._store is not None

    @property
    def warmed_up(self) -> bool:
        """The warm-up has ended: the store is open, or opening it failed (then reading
        `store` raises that error again, quickly)."""
        return self._warming is not None and self._warming.done()

    @property
    def providers(self) -> ProviderRegistry:
        if self._providers is None:
            with self._lock:
                if self._providers is None:
                    from engine.cli.context import default_providers

                    providers = default_providers()
                    for provider in _local(providers):
                        pool = provider.pool
                        if pool.n_threads > 1:  # the UI thread keeps a core while decoding
                            pool.n_threads -= 1
                    self._providers = providers
        return self._providers

    def start_warm_up(self) -> Future[None]:
        """Open the providers and the store, check the local model files and import what
        the first model load needs, in a thread (once; the process waits for it at exit, so
        no import is cut short). Importing llama.cpp, reading the catalog and opening the
        store take ~0.3 s; hashing a bundled model up to a second more."""
        with self._warm_lock:  # never `_lock`: the GUI thread must not wait for the opening
            if self._warming is None:
                self._warming = Future()
                threading.Thread(target=self._warm, name="interlock-warm-up").start()
            return self._warming

    async def warm_up(self) -> None:
        """Wait for the warm-up (starting it if needed) without blocking the event loop.
        Failures are logged only: the run then meets them itself and reports them."""
        try:
            await asyncio.wrap_future(self.start_warm_up())
        except Exception as exc:
            log.info("warm-up: %s", exc)

    def _warm(self) -> None:
        assert self._warming is not None
        try:
            if not self._closed:
                self._prepare()
        except BaseException as exc:
            self._warming.set_exception(exc)
        else:
            self._warming.set_result(None)

    def _prepare(self) -> None:
        with long_lived_imports():  # SQLAlchemy, alembic, llama.cpp, numpy: ~110k objects
            local = _local(self.providers)
            if self._closed:
                return
            _ = self.store
            if local:
                _import_first_run_modules()
        for provider in local:
            try:
                _check_models(provider)
            except Exception as exc:  # a missing model shows up in the run instead
                log.info("model warm-up: %s", exc)

    def engine(self, approver: Approver = defer, executor: ItemExecutor | None = None) -> Engine:
        """An engine on the session's store and providers (build it on the engine thread,
        with an approver made by `gui_approver`); its map items run on `executor`."""
        return Engine(
            self.registry, self.providers, self.store, approver=approver, executor=executor
        )

    def cluster_for(self, stated: ExecutorPolicy | None) -> tuple[ItemExecutor, Cluster] | None:
        """Where a run's map items go, as the CLI decides without flags: the workflow's
        `policy.executor`, else the config's `[cluster]` (None: in this process). Connecting
        blocks while each worker's actor starts: call it in a thread. A connection is kept
        for the next runs while one of its workers lives."""
        from engine.cli.cluster_commands import cluster_to_use, connect_items

        found = cluster_to_use(None, None, False, stated)
        if found is None:
            return None
        address, token = found
        key = (address, str(token) if token else None)
        with self._lock:
            kept = self._clusters.get(key)
            if kept is not None and kept[1].live:
                return kept
            if kept is not None:
                kept[1].close()
            self._clusters[key] = connected = connect_items(address, token, self.store)
            return connected

    def gui_approver(self, approver: Approver) -> Approver:
        """`approver` (a dialog) made callable from the engine thread: each call runs on
        the window's loop, which must be the running loop here."""
        return approver if approver is defer else on_gui(approver, asyncio.get_running_loop())

    async def on_engine(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run `make()` on the engine thread (see `EngineThread.run`)."""
        return await self.engine_thread.run(make)

    def close(self) -> None:
        self.engine_thread.close()
        with self._lock:
            for _, cluster in self._clusters.values():
                try:
                    cluster.close()
                except Exception as exc:  # the head may be gone already
                    log.info("closing the cluster connection: %s", exc)
            self._clusters.clear()
            self._closed = True
            if self._store is not None:
                self._store.close()
                self._store = None


def _local(providers: ProviderRegistry) -> list[LocalProvider]:
    """The default provider, if it is the local one."""
    from engine.providers.base import ProviderError
    from engine.providers.local import LocalProvider

    try:
        provider, _ = providers.resolve(None)
    except ProviderError:
        return []
    return [provider] if isinstance(provider, LocalProvider) else []


def _import_first_run_modules() -> None:
    for name in FIRST_RUN_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # the run reports a missing llama.cpp itself
            log.info("warm-up: %s", exc)


def _check_models(provider: LocalProvider) -> None:
    for model_id in provider.catalog.ids():
        provider.catalog.get(model_id)
