"""A run's spend against its budget, shared by all its nodes: the run's recorded totals
(every ended attempt, carried over from earlier processes on resume) plus the calls of
attempts still running, with reservations for parallel calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.workflow.model import Budget


@dataclass(slots=True)
class Reservation:
    cost_usd: float
    tokens: int


@dataclass(slots=True)
class Usage:
    """Tokens and spend of some calls (one attempt's, a node's or a run's)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost_usd += cost_usd


@dataclass
class RunBudget:
    """Limits from `policy.budget`; spend = recorded node totals + unrecorded calls."""

    max_cost_usd: float | None = None
    max_tokens: int | None = None
    on_exceed: str = "stop"
    totals: Usage | None = None
    _unrecorded: dict[str, Usage] = field(default_factory=dict)
    _reserved: list[Reservation] = field(default_factory=list)

    @classmethod
    def from_policy(cls, budget: Budget | None, totals: Usage | None = None) -> RunBudget:
        if budget is None:
            return cls(totals=totals)
        return cls(budget.max_cost_usd, budget.max_tokens, budget.on_exceed, totals)

    @property
    def limited(self) -> bool:
        return self.max_cost_usd is not None or self.max_tokens is not None

    @property
    def spent_usd(self) -> float:
        recorded = self.totals.cost_usd if self.totals else 0.0
        return recorded + sum(u.cost_usd for u in self._unrecorded.values())

    @property
    def spent_tokens(self) -> int:
        t = self.totals
        recorded = (t.prompt_tokens + t.completion_tokens) if t else 0
        return recorded + sum(u.tokens for u in self._unrecorded.values())

    def remaining_usd(self) -> float | None:
        if self.max_cost_usd is None:
            return None
        return self.max_cost_usd - self.spent_usd - sum(r.cost_usd for r in self._reserved)

    def remaining_tokens(self) -> int | None:
        if self.max_tokens is None:
            return None
        return self.max_tokens - self.spent_tokens - sum(r.tokens for r in self._reserved)

    def exceeded_by(self, cost_usd: float, tokens: int) -> str | None:
        """Why a call estimated at (`cost_usd`, `tokens`) would break the budget, or None."""
        usd, left_tokens = self.remaining_usd(), self.remaining_tokens()
        if usd is not None and cost_usd > usd + 1e-12:
            return (
                f"estimated ${cost_usd:.6f} exceeds the run budget's remaining ${max(usd, 0):.6f} "
                f"(max ${self.max_cost_usd:.6f})"
            )
        if left_tokens is not None and tokens > left_tokens:
            return (
                f"estimated {tokens} tokens exceed the run budget's remaining "
                f"{max(left_tokens, 0)} (max {self.max_tokens})"
            )
        return None

    def reserve(self, cost_usd: float, tokens: int) -> Reservation:
        reservation = Reservation(cost_usd, tokens)
        self._reserved.append(reservation)
        return reservation

    def settle(
        self,
        reservation: Reservation,
        node_id: str,
        cost_usd: float,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        """Replace a reservation by what the call really used (charged to `node_id`)."""
        if reservation in self._reserved:
            self._reserved.remove(reservation)
        self._unrecorded.setdefault(node_id, Usage()).add(
            prompt_tokens, completion_tokens, cost_usd
        )

    def charge(
        self, node_id: str, prompt_tokens: int, completion_tokens: int, cost_usd: float
    ) -> None:
        """Calls made for `node_id` outside its own provider calls (a map item's child run,
        or an item on a cluster worker), counted as if it had made them."""
        self._unrecorded.setdefault(node_id, Usage()).add(
            prompt_tokens, completion_tokens, cost_usd
        )

    def take(self, node_id: str) -> Usage:
        """The calls of `node_id`'s attempt so far, handed over to be recorded on the
        event that ends the attempt (and so counted in the run's totals)."""
        return self._unrecorded.pop(node_id, None) or Usage()
