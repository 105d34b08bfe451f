"""Routing events in the run's trace: each routing decision, each model call (tokens, cost,
seconds, outcome) and provider retries/waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from engine.trace.events import RunEvent, event_type


@event_type
@dataclass(slots=True, kw_only=True)
class RoutingDecision(RunEvent):
    """Which model a call goes to, the candidates considered and why others were rejected."""

    type: ClassVar[str] = "routing_decision"
    durable: ClassVar[bool] = True
    attempt: int = 1
    call: int = 1
    """1 for the first call of the attempt, then 2, 3... for escalations and fallbacks."""
    phase: str = "initial"
    """initial, escalation or fallback."""
    chosen: str | None = None
    provider: str | None = None
    reason: str = ""
    trigger: str | None = None
    """What caused an escalation/fallback: schema, low_confidence, local_error, error."""
    candidates: list[dict[str, Any]] = field(default_factory=list)
    """{model, provider, remote, tier, est_cost_usd, rejected (reason or null)} each."""
    estimate_usd: float = 0.0
    budget_remaining_usd: float | None = None
    warning: str | None = None
    confidence: float | None = None
    """For a low_confidence trigger: the previous answer's confidence..."""
    threshold: float | None = None
    """...and the route's `escalate.min_confidence` it fell below."""


@event_type
@dataclass(slots=True, kw_only=True)
class ModelCall(RunEvent):
    """One provider call of an llm node (failed ones too): what it used and how it ended."""

    type: ClassVar[str] = "model_call"
    durable: ClassVar[bool] = True
    attempt: int = 1
    call: int = 1
    model: str = ""
    provider: str = ""
    remote: bool = False
    outcome: str = "ok"
    """ok, schema_failed, low_confidence, error or timeout."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    confidence: float | None = None
    error: str | None = None
    purpose: str = "answer"
    """answer (the node's answer), agreement (a second answer to compare) or verify."""
    seed: int | None = None
    """The sampling seed sent (a fresh random one when the node's `seed` is null)."""
    logprobs: bool = False
    """Token logprobs were asked for: the answer's confidence is judged at this rung."""


@event_type
@dataclass(slots=True, kw_only=True)
class ProviderRetry(RunEvent):
    """The remote provider retried a request, or refused a long Retry-After wait."""

    type: ClassVar[str] = "provider_retry"
    attempt: int = 1
    kind: str = "retry"
    """retry or wait_refused."""
    endpoint: str = ""
    error: str = ""
    wait_s: float = 0.0
