"""A configured OpenAI-compatible endpoint: where it is, what it serves and what it costs.

Endpoints live in the user config file under `[endpoints.<name>]`; keys never do.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from engine.config import ConfigError, load_config, save_config

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
JsonMode = Literal["llama_cpp", "openai", "none"]
"""How structured output is asked for: llama.cpp's `{type: json_object, schema}`,
OpenAI's `{type: json_schema, json_schema: {...}}`, or not at all (validate only)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One remote endpoint. Prices are USD per 1M tokens."""

    name: str
    base_url: str
    models: tuple[str, ...]
    price_in: float = 0.0
    price_out: float = 0.0
    tier: str = "hard"
    context: int = 8192
    max_concurrency: int = 4
    json_mode: JsonMode = "llama_cpp"
    timeout_s: float = 120.0
    """Per-call deadline when the node's route policy sets no max latency."""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ConfigError(
                f"endpoint name {self.name!r} must be a letter then letters, digits, - or _"
            )
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"endpoint {self.name!r}: URL must be http(s)://host[:port][/path]")
        if parts.username or parts.password or parts.query:
            raise ConfigError(
                f"endpoint {self.name!r}: put no credentials or query in the URL; "
                "keys go in the keyring"
            )
        if not self.models:
            raise ConfigError(f"endpoint {self.name!r} needs at least one model")
        for value in (self.price_in, self.price_out):
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"endpoint {self.name!r}: prices must be >= 0")
        if self.context < 1 or self.max_concurrency < 1 or self.timeout_s <= 0:
            raise ConfigError(f"endpoint {self.name!r}: context/concurrency/timeout must be > 0")

    @property
    def api_base(self) -> str:
        """The URL that `/chat/completions` is appended to (ends in /v1)."""
        base = self.base_url.rstrip("/")
        return base if base.endswith("/v1") else base + "/v1"

    def qualified(self, model: str) -> str:
        """The id routers and workflows use: `<endpoint>/<model>`."""
        return f"{self.name}/{model}"

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.price_in + completion_tokens * self.price_out) / 1e6

    def to_config(self) -> dict[str, Any]:
        return {
            "url": self.base_url,
            "models": list(self.models),
            "price_in": self.price_in,
            "price_out": self.price_out,
            "tier": self.tier,
            "context": self.context,
            "max_concurrency": self.max_concurrency,
            "json_mode": self.json_mode,
            "timeout_s": self.timeout_s,
        }

    @classmethod
    def from_config(cls, name: str, data: dict[str, Any]) -> Endpoint:
        try:
            models = data["models"]
            return cls(
                name=name,
                base_url=str(data["url"]),
                models=tuple(str(m) for m in ([models] if isinstance(models, str) else models)),
                price_in=float(data.get("price_in", 0.0)),
                price_out=float(data.get("price_out", 0.0)),
                tier=str(data.get("tier", "hard")),
                context=int(data.get("context", 8192)),
                max_concurrency=int(data.get("max_concurrency", 4)),
                json_mode=data.get("json_mode", "llama_cpp"),
                timeout_s=float(data.get("timeout_s", 120.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"endpoint {name!r} in the config is malformed: {exc!r}") from None


def load_endpoints(config: dict[str, Any] | None = None) -> list[Endpoint]:
    """Every endpoint in the user config, in name order."""
    config = load_config() if config is None else config
    table = config.get("endpoints", {})
    if not isinstance(table, dict):
        raise ConfigError("`endpoints` in the config must be a table")
    return [Endpoint.from_config(name, table[name]) for name in sorted(table)]


def save_endpoint(endpoint: Endpoint) -> None:
    config = load_config()
    config.setdefault("endpoints", {})[endpoint.name] = endpoint.to_config()
    save_config(config)


def remove_endpoint(name: str) -> bool:
    config = load_config()
    endpoints = config.get("endpoints", {})
    if name not in endpoints:
        return False
    del endpoints[name]
    save_config(config)
    return True
