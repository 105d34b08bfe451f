"""Calibrating an escalation ladder on data: given how each rung alone did on every row
(right or wrong, its confidence, its cost), simulate the cascade for threshold choices,
keep the cost-vs-score frontier, and pick the cheapest thresholds that reach a quality
target. Pure functions; `engine.routing.calibrate` runs the evaluations that feed them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

ALWAYS_ESCALATE = 1.01
"""A threshold no confidence reaches: the rung never answers."""


@dataclass(frozen=True, slots=True)
class RungOutcome:
    """One rung alone on one row."""

    correct: bool
    confidence: float | None
    cost_usd: float = 0.0
    remote: bool = False


@dataclass(frozen=True, slots=True)
class CascadePoint:
    """A cascade with these thresholds (one per rung but the last) on the rows."""

    thresholds: tuple[float, ...]
    score: float
    remote_share: float
    cost_usd: float
    answered_by: tuple[int, ...]
    """Rows answered at each rung."""

    @property
    def escalated_share(self) -> float:
        """Rows that climbed past the first rung (extra calls, even when all local)."""
        total = sum(self.answered_by)
        return 1 - self.answered_by[0] / total if total else 0.0

    def cost_key(self) -> tuple[float, float, float]:
        """What "cheaper" means: fewer remote rows, fewer dollars, fewer escalations."""
        return (round(self.remote_share, 12), round(self.cost_usd, 12), self.escalated_share)


def simulate(rows: Sequence[Sequence[RungOutcome]], thresholds: Sequence[float]) -> CascadePoint:
    """Each row climbs until a rung's confidence reaches its threshold (a rung reporting no
    confidence answers); the last rung always answers. Cost sums every rung visited."""
    rungs = len(rows[0]) if rows else 0
    answered = [0] * rungs
    right = remote = 0
    cost = 0.0
    for outcomes in rows:
        for index, outcome in enumerate(outcomes):
            cost += outcome.cost_usd
            last = index == rungs - 1
            confident = outcome.confidence is None or outcome.confidence >= thresholds[index]
            if last or confident:
                answered[index] += 1
                right += int(outcome.correct)
                remote += int(any(o.remote for o in outcomes[: index + 1]))
                break
    n = max(len(rows), 1)
    return CascadePoint(tuple(thresholds), right / n, remote / n, cost, tuple(answered))


def candidate_thresholds(values: Sequence[float | None], limit: int = 12) -> list[float]:
    """0 (always answer), thresholds just above observed confidences at evenly spaced
    quantiles, and `ALWAYS_ESCALATE`."""
    seen = sorted({v for v in values if v is not None})
    if len(seen) > limit:
        step = (len(seen) - 1) / (limit - 1)
        seen = [seen[round(i * step)] for i in range(limit)]
    return [0.0, *(round(v + 1e-9, 10) for v in seen), ALWAYS_ESCALATE]


def sweep(rows: Sequence[Sequence[RungOutcome]]) -> list[CascadePoint]:
    """Every threshold combination over the candidates of each rung but the last."""
    if not rows:
        return []
    rungs = len(rows[0])
    grids = [candidate_thresholds([r[i].confidence for r in rows]) for i in range(rungs - 1)]
    return [simulate(rows, (*combo, 0.0)) for combo in itertools.product(*grids)]


def frontier(points: Sequence[CascadePoint]) -> list[CascadePoint]:
    """The points no other point beats on both cost (`CascadePoint.cost_key`) and score,
    cheapest first."""
    ordered = sorted(points, key=lambda p: (*p.cost_key(), -p.score))
    best: list[CascadePoint] = []
    top = -1.0
    for point in ordered:
        if point.score > top + 1e-12:
            best.append(point)
            top = point.score
    return best


def choose(
    points: Sequence[CascadePoint], top_score: float, target: float
) -> tuple[CascadePoint, bool]:
    """The cheapest point scoring at least `target` x `top_score` (and whether one did);
    else the best-scoring point."""
    needed = target * top_score - 1e-12
    good = [p for p in points if p.score >= needed]
    if good:
        return min(good, key=lambda p: (*p.cost_key(), -p.score)), True
    return max(points, key=lambda p: (p.score, *(-c for c in p.cost_key()))), False
