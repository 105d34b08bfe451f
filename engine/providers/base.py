"""The provider interface: how the engine asks a model for text.

Local (llama.cpp) and remote (OpenAI-compatible) providers implement `Provider`;
the `llm` node kind only ever talks to a `ProviderRegistry`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

TokenCallback = Callable[[str], None]
"""Called with each streamed piece of text, on the event-loop thread."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """One generation request. Either `messages` (chat) or `prompt` (completion)."""

    messages: Sequence[ChatMessage] | None = None
    prompt: str | None = None
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = 0
    stop: Sequence[str] = ()
    json_schema: dict[str, Any] | None = None
    """When set, the output must be JSON valid against this schema."""
    logprobs: bool = False
    examples: Sequence[tuple[str, str]] = ()
    """Worked (input, output) pairs; a completion-only model gets them as a few-shot prompt."""


@dataclass(frozen=True, slots=True)
class ModelResult:
    """What a provider returns for one request."""

    text: str
    model: str
    provider: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    ttft_s: float | None = None
    finish_reason: str = "stop"
    json_value: Any = None
    json_valid: bool | None = None
    """None when no schema was asked for; otherwise whether `text` parsed and validated."""
    json_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ProviderError(Exception):
    """A provider failed; `transient` says whether a retry may help."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@runtime_checkable
class Provider(Protocol):
    """Something that can run model requests."""

    name: str

    def models(self) -> list[str]:
        """Model ids this provider serves."""
        ...

    async def generate(
        self, model: str, request: ModelRequest, on_token: TokenCallback | None = None
    ) -> ModelResult:
        """Run one request; stream text through `on_token`; honour task cancellation."""
        ...


class ProviderRegistry:
    """Maps model ids to providers. Passed into the runtime, never global."""

    def __init__(self, providers: Sequence[Provider] = (), default_model: str | None = None):
        self._providers: list[Provider] = list(providers)
        self.default_model = default_model

    def add(self, provider: Provider) -> None:
        self._providers.append(provider)

    def models(self) -> list[str]:
        return [m for p in self._providers for m in p.models()]

    def fingerprint(self) -> str:
        """A digest of every model on offer and what identifies it (a local file's
        checksum, a remote endpoint's address): cached results keyed with it miss as soon
        as a model file, an endpoint or the default model changes."""
        parts = [f"default={self.default_model}"]
        for provider in self._providers:
            describe = getattr(provider, "model_fingerprint", None)
            plain = type(provider).__repr__ is object.__repr__  # would differ every process
            shown = type(provider).__qualname__ if plain else repr(provider)
            for model in sorted(provider.models()):
                parts.append(f"{model}={describe(model) if describe else shown}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def resolve(self, model: str | None) -> tuple[Provider, str]:
        wanted = model if model and model != "auto" else self.default_model
        for provider in self._providers:
            available = provider.models()
            if wanted is None and available:
                return provider, available[0]
            if wanted in available:
                return provider, wanted
        known = ", ".join(self.models()) or "none"
        raise ProviderError(f"no provider serves model {wanted!r} (known models: {known})")
