"""The store, providers and registry that one window's runs, panels and dialogs share,
opened on first use (so the data folder from the settings applies first). Local inference
leaves one core to the UI thread, and model files are checked off the event loop."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from engine.approvals.service import Approver, defer
from engine.nodes.base import NodeRegistry
from engine.providers.base import ProviderRegistry
from engine.runtime.engine import Engine
from engine.store.protocol import RunStore

if TYPE_CHECKING:
    from engine.providers.local import LocalProvider

log = logging.getLogger(__name__)


class EngineSession:
    def __init__(self, registry: NodeRegistry, db_path: str | None = None) -> None:
        self.registry = registry
        self.db_path = db_path
        self._store: RunStore | None = None
        self._providers: ProviderRegistry | None = None
        self._warm = False

    @property
    def store(self) -> RunStore:
        if self._store is None:
            from engine.store import open_store

            self._store = open_store(self.db_path)
        return self._store

    @property
    def providers(self) -> ProviderRegistry:
        if self._providers is None:
            from engine.cli.commands import default_providers

            self._providers = default_providers()
            for provider in self._local_providers():
                pool = provider.pool
                if pool.n_threads > 1:  # the UI thread keeps a core while a model decodes
                    pool.n_threads -= 1
        return self._providers

    def _local_providers(self) -> list[LocalProvider]:
        from engine.providers.base import ProviderError
        from engine.providers.local import LocalProvider

        if self._providers is None:
            return []
        try:
            provider, _ = self._providers.resolve(None)  # the default provider
        except ProviderError:
            return []
        return [provider] if isinstance(provider, LocalProvider) else []

    async def warm_up(self) -> None:
        """Check the local model files once, in a thread (hashing a bundled model on the
        event loop would freeze the window for a second or more)."""
        if self._warm:
            return
        self._warm = True
        # Importing llama.cpp, reading the catalog and opening the store take ~100 ms or
        # more: do them in a thread, not on the event loop that paints the window.
        await asyncio.to_thread(lambda: (self.providers, self.store))
        for provider in self._local_providers():
            try:
                await asyncio.to_thread(_check_models, provider)
            except Exception as exc:  # a missing model shows up in the run instead
                log.info("model warm-up: %s", exc)

    def engine(self, approver: Approver = defer) -> Engine:
        return Engine(self.registry, self.providers, self.store, approver=approver)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _check_models(provider: LocalProvider) -> None:
    for model_id in provider.catalog.ids():
        provider.catalog.get(model_id)
