"""Per-call model routing: route policies, the router, run budgets and routing events."""

from __future__ import annotations

from engine.routing.budget import RunBudget
from engine.routing.events import ModelCall, ProviderRetry, RoutingDecision
from engine.routing.policy import QUALITY_TIERS, Escalation, RoutePolicy, Sensitivity

__all__ = [
    "QUALITY_TIERS",
    "Escalation",
    "ModelCall",
    "ProviderRetry",
    "RoutePolicy",
    "RoutingDecision",
    "RunBudget",
    "Sensitivity",
]
