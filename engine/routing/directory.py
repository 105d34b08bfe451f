"""What the router knows about each model a `ProviderRegistry` serves: where it runs,
quality tier, context window, prices and speed (local profiles and endpoint configs)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from engine.providers.base import Provider, ProviderError, ProviderRegistry

log = logging.getLogger(__name__)

_TTL_S = 60.0


@dataclass(frozen=True, slots=True)
class ModelInfo:
    model_id: str
    provider: Provider
    remote: bool
    tier: str = "routine"
    context_window: int | None = None
    price_in: float = 0.0
    """USD per 1M prompt tokens."""
    price_out: float = 0.0
    tokens_per_second: float | None = None
    capabilities: tuple[str, ...] | None = None
    unavailable: str | None = None
    """Why the model can't be used at all (file missing), or None."""

    def estimate_cost(self, prompt_tokens: int, max_tokens: int) -> float:
        return (prompt_tokens * self.price_in + max_tokens * self.price_out) / 1e6

    def estimate_latency(self, max_tokens: int) -> float | None:
        return max_tokens / self.tokens_per_second if self.tokens_per_second else None

    def circuit_open(self) -> bool:
        breaker: Any = getattr(self.provider, "breaker", None)
        return breaker is not None and not breaker.available()


_by_model: dict[tuple[int, str], tuple[float, ModelInfo]] = {}


def describe(providers: ProviderRegistry) -> list[ModelInfo]:
    """Every model of the registry with its profile (cached for a minute per provider)."""
    infos = []
    now = time.monotonic()
    for model_id in providers.models():
        try:
            provider, _ = providers.resolve(model_id)
        except ProviderError:  # pragma: no cover - models() and resolve() agree
            continue
        key = (id(provider), model_id)
        hit = _by_model.get(key)
        if hit is None or now - hit[0] > _TTL_S or hit[1].provider is not provider:
            hit = (now, _info(provider, model_id))
            _by_model[key] = hit
        infos.append(hit[1])
    return infos


def _info(provider: Provider, model_id: str) -> ModelInfo:
    endpoint: Any = getattr(provider, "endpoint", None)
    if getattr(provider, "remote", False) and endpoint is not None:
        return ModelInfo(
            model_id,
            provider,
            remote=True,
            tier=endpoint.tier,
            context_window=endpoint.context,
            price_in=endpoint.price_in,
            price_out=endpoint.price_out,
            capabilities=("chat", "completion", "json"),
        )
    catalog: Any = getattr(provider, "catalog", None)
    if catalog is None:  # an in-process provider without profiles (plugins, tests)
        return ModelInfo(model_id, provider, remote=bool(getattr(provider, "remote", False)))
    try:
        profile = catalog.get(model_id).profile
    except Exception as exc:  # ModelNotAvailable and friends: keep it, but unusable
        return ModelInfo(model_id, provider, remote=False, unavailable=str(exc))
    return ModelInfo(
        model_id,
        provider,
        remote=False,
        tier=profile.quality_tier,
        context_window=profile.context_window,
        tokens_per_second=profile.tokens_per_second,
        capabilities=tuple(profile.capabilities),
    )
