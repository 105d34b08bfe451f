"""What every CLI command shares: exit codes, the run store and the model providers."""

from __future__ import annotations

from engine.providers.base import ProviderRegistry
from engine.store.protocol import RunStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_WAITING = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


def open_db(path: str | None) -> RunStore:
    from engine.store import open_store

    return open_store(path)


def default_providers() -> ProviderRegistry:
    """The bundled local models (loaded lazily on first use), then the remote endpoints of
    the user config; each llm node's route policy picks among them per call."""
    from engine.providers.local import default_local_provider
    from engine.providers.remote import configured_providers

    provider = default_local_provider()
    registry = ProviderRegistry([provider], default_model="smollm2-135m-instruct")
    for remote in configured_providers():
        registry.add(remote)
    return registry
