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


class LadderStep(_Strict):
    """One rung of an escalation ladder: a model, and when its own answer is not good
    enough to stop there."""

    model: str = Field(description="Model id.")
    min_confidence: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Escalate further when this step's answer is below it (default: the "
        "escalation's min_confidence).",
    )


class Agreement(_Strict):
    """Escalate when two answers to the same request disagree (for classifications)."""

    samples: int = Field(default=2, ge=2, le=5, description="Answers to compare.")
    model: str | None = Field(
        default=None,
        description="A second model to ask; default: the same model again, sampled.",
    )
    temperature: float = Field(
        default=0.7, ge=0, le=2, description="Sampling temperature of the extra answers."
    )


class Verifier(_Strict):
    """A cheap yes/no check of an answer by a model; "no" escalates."""

    prompt: str = Field(
        description="Jinja2 template over `question` (the request's prompt) and `answer`; "
        "the model answers yes or no."
    )
    model: str | None = Field(default=None, description="Model id; default the answering one.")


class Calibration(_Strict):
    """The record a calibration leaves next to the thresholds it chose."""

    dataset: str = Field(description="Dataset name@hash the thresholds were fitted on.")
    date: str
    target: float = Field(description="Quality target as a share of the top step's score.")
    expected_score: float
    expected_remote_share: float
    top_score: float
    rows: int
    picked: bool = Field(
        default=False,
        description="The user picked these thresholds (a frontier point, or their own) "
        "instead of the cheapest reaching the target; expected_* describe them.",
    )


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
    to: str | list[str | LadderStep] = Field(
        default="auto",
        description="Where an answer that is not good enough goes next: auto (a ladder from "
        "the catalog's quality tiers: bigger local models, then the best remote one), one "
        "model id, or an ordered ladder of model ids / {model, min_confidence} steps.",
    )
    agreement: Agreement | None = Field(
        default=None, description="Ask twice; answers that disagree escalate."
    )
    verify: Verifier | None = Field(
        default=None, description="A cheap yes/no check of the answer; no escalates."
    )
    calibration: Calibration | None = Field(
        default=None, description="Where these thresholds came from (written by calibrate)."
    )

    def ladder(self) -> list[LadderStep] | None:
        """The explicit ladder (a single id is a one-step ladder); None for auto."""
        if isinstance(self.to, str):
            return None if self.to == "auto" else [LadderStep(model=self.to)]
        return [s if isinstance(s, LadderStep) else LadderStep(model=s) for s in self.to]


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
