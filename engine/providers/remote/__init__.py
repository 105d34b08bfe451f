"""Remote OpenAI-compatible endpoints: configuration, keys, and the `RemoteProvider`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.providers.remote.calls import (
    LOCAL_ONLY,
    OFFLINE_ENV,
    CallContext,
    call_context,
    current_call,
    offline_switch,
)
from engine.providers.remote.endpoint import Endpoint, load_endpoints
from engine.providers.remote.resilience import CircuitBreaker, TransportRetry
from engine.providers.remote.secrets import get_key, redact
from engine.providers.remote.wire import estimate_prompt_tokens

if TYPE_CHECKING:
    from engine.providers.remote.provider import RemoteError, RemoteProvider

_LAZY = {"RemoteError", "RemoteProvider"}
"""Names from `provider` (httpx) that load on first use, keeping start-up light."""

__all__ = [
    "LOCAL_ONLY",
    "OFFLINE_ENV",
    "CallContext",
    "CircuitBreaker",
    "Endpoint",
    "RemoteError",
    "RemoteProvider",
    "TransportRetry",
    "call_context",
    "configured_providers",
    "current_call",
    "estimate_prompt_tokens",
    "get_key",
    "load_endpoints",
    "offline_switch",
    "redact",
]


def configured_providers() -> list[RemoteProvider]:
    """A provider per endpoint in the user config, each with its key (keyring or env)."""
    from engine.providers.remote.provider import RemoteProvider

    return [RemoteProvider(e, get_key(e.name)) for e in load_endpoints()]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from engine.providers.remote import provider

        return getattr(provider, name)
    raise AttributeError(f"module 'engine.providers.remote' has no attribute {name!r}")
