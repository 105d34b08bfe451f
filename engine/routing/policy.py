"""The route policy an llm node carries (`route:` in its config): small typed values."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Sensitivity = Literal["public", "internal", "confidential", "local_only"]
"""public/internal may go to a remote endpoint; confidential/local_only never leave."""

QUALITY_TIERS: dict[str, int] = {"routine": 0, "standard": 1, "hard": 2, "frontier": 3}
"""Quality tiers in rising order; model profiles and endpoints name one of these."""


def tier_rank(tier: str | None) -> int:
    return QUALITY_TIERS.get(tier or "routine", 0)


def _known_tier(value: str | None) -> str | None:
    if value is not None and value not in QUALITY_TIERS:
        raise ValueError(f"unknown quality tier {value!r}; use one of {', '.join(QUALITY_TIERS)}")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Escalation(_Strict):
    """When a call's answer is not good enough, and where to take it instead."""

    on_schema_failure: bool = Field(default=True, description="Output fails its schema.")
    min_confidence: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Escalate when the answer's confidence is below this: the geometric-mean "
        "token probability, or for a JSON schema the least confident field value. Local "
        "models always report it; remote endpoints when they return logprobs.",
    )
    on_local_error: bool = Field(default=True, description="A local model errors or times out.")
    local_timeout_s: float | None = Field(
        default=None, gt=0, description="A local call slower than this counts as an error."
    )
    to: str = Field(
        default="auto", description="Model id to escalate to, or auto (best untried model)."
    )


class RoutePolicy(_Strict):
    """How an llm node picks its model per call."""

    model: str = Field(default="auto", description="auto, or a pinned model id.")
    tier: Literal["routine", "hard", "auto"] = Field(
        default="auto",
        description="routine/auto: cheapest suitable model first (local first); "
        "hard: highest quality tier first.",
    )
    sensitivity: Sensitivity = Field(
        default="internal", description="confidential and local_only never leave the machine."
    )
    max_cost_per_call: float | None = Field(default=None, ge=0, description="USD, estimated.")
    max_latency_s: float | None = Field(
        default=None, gt=0, description="Estimated latency limit; also the remote call deadline."
    )
    min_quality: str | None = Field(default=None, description="Lowest acceptable quality tier.")
    escalate: Escalation | None = Field(default=None, description="Escalation triggers.")
    fallback: list[str] = Field(
        default_factory=list, description="Model ids tried in order when a call errors."
    )
    approve_above_usd: float | None = Field(
        default=None, ge=0, description="A call estimated above this needs a person's approval."
    )
    approve_remote: Literal["never", "escalation", "always"] = Field(
        default="never",
        description="Ask a person before data leaves the machine: never, on escalation to a "
        "remote model, or for every remote call.",
    )
    offline_fallback: Literal["fail", "local"] = Field(
        default="fail",
        description="Offline and only a remote model fits: fail, or run locally with a warning.",
    )

    _check_tier = field_validator("min_quality")(_known_tier)
