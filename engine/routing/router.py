"""The router: per call, picks a model from the catalog (local + remote) honouring the
workflow policy first (allowed_models, offline, budget), then the node's route policy."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from engine.providers.base import ModelRequest, ProviderRegistry
from engine.providers.remote.calls import LOCAL_ONLY
from engine.providers.remote.wire import estimate_prompt_tokens
from engine.routing.budget import RunBudget
from engine.routing.directory import ModelInfo, describe
from engine.routing.policy import RoutePolicy, tier_rank
from engine.workflow.model import WorkflowPolicy


@dataclass(frozen=True, slots=True)
class Candidate:
    info: ModelInfo
    est_cost_usd: float
    rejected: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.info.model_id,
            "provider": self.info.provider.name,
            "remote": self.info.remote,
            "tier": self.info.tier,
            "est_cost_usd": round(self.est_cost_usd, 8),
            "rejected": self.rejected,
        }


@dataclass(slots=True)
class Decision:
    chosen: ModelInfo | None
    candidates: list[Candidate]
    reason: str
    estimate_usd: float = 0.0
    est_tokens: int = 0
    warning: str | None = None
    error_class: str = "model"
    """For no choice: budget, offline, policy or model."""


@dataclass
class Router:
    """Stateless per call; everything it honours is passed in."""

    providers: ProviderRegistry
    workflow: WorkflowPolicy | None = None
    budget: RunBudget | None = None
    offline: bool = False
    _infos: list[ModelInfo] = field(default_factory=list)

    def choose(
        self,
        route: RoutePolicy,
        request: ModelRequest,
        *,
        pinned: str | None = None,
        target: str | None = None,
        exclude: Collection[str] = (),
        prefer_better_than: str | None = None,
    ) -> Decision:
        """Pick a model. `pinned`: the node's pinned model; `target`: an escalation or
        fallback target (a model id, or "auto" for the best untried model)."""
        infos = self._infos = describe(self.providers)
        want = target if target not in (None, "auto") else pinned
        known = {i.model_id for i in infos}
        if want is not None and want not in known:
            names = ", ".join(sorted(known)) or "none"
            return Decision(None, [], f"no provider serves model {want!r} (known models: {names})")
        prompt = estimate_prompt_tokens(request)
        tokens = prompt + request.max_tokens
        escalating = target is not None
        ranked = sorted(infos, key=lambda i: self._rank(i, route, escalating))
        if prefer_better_than is not None:  # escalation: higher tiers first, then the rest
            floor = tier_rank(
                next((i.tier for i in infos if i.model_id == prefer_better_than), None)
            )
            ranked.sort(key=lambda i: tier_rank(i.tier) <= floor)
        checked = [
            Candidate(i, c, self._policy_reject(i, route, request, prompt, tokens, c, exclude))
            for i in ranked
            for c in [i.estimate_cost(prompt, request.max_tokens)]
        ]
        return self._pick(checked, route, want, tokens)

    def auto_ladder(
        self, route: RoutePolicy, request: ModelRequest, after: str, exclude: Collection[str]
    ) -> list[str]:
        """The `escalate.to: auto` ladder above model `after`: local models of a higher
        quality tier, lowest tier first (free, private, slower), then the best remote model
        (highest tier, then cheapest). Models the policy rules out are left off."""
        infos = describe(self.providers)
        floor = tier_rank(next((i.tier for i in infos if i.model_id == after), None))
        prompt = estimate_prompt_tokens(request)
        tokens = prompt + request.max_tokens

        def usable(info: ModelInfo) -> bool:
            cost = info.estimate_cost(prompt, request.max_tokens)
            return (
                info.model_id != after
                and self._policy_reject(info, route, request, prompt, tokens, cost, exclude) is None
            )

        local = sorted(
            (i for i in infos if not i.remote and tier_rank(i.tier) > floor and usable(i)),
            key=lambda i: (tier_rank(i.tier), i.model_id),
        )
        remote = sorted(
            (i for i in infos if i.remote and usable(i)),
            key=lambda i: (-tier_rank(i.tier), i.price_in + i.price_out, i.model_id),
        )
        return [i.model_id for i in local] + [i.model_id for i in remote[:1]]

    def _rank(self, info: ModelInfo, route: RoutePolicy, escalating: bool) -> tuple[Any, ...]:
        default = info.model_id == self.providers.default_model
        cost = info.price_in + info.price_out
        if route.tier == "hard" or escalating:
            return (-tier_rank(info.tier), cost, info.remote, not default)
        return (info.remote, cost, not default, -tier_rank(info.tier))

    def _policy_reject(
        self,
        info: ModelInfo,
        route: RoutePolicy,
        request: ModelRequest,
        prompt: int,
        tokens: int,
        cost: float,
        exclude: Collection[str],
    ) -> str | None:
        allowed = self.workflow.allowed_models if self.workflow else None
        if info.model_id in exclude:
            return "already tried for this node"
        if allowed is not None and not any(fnmatch.fnmatchcase(info.model_id, p) for p in allowed):
            return "not in the workflow's allowed_models"
        if info.remote and route.sensitivity in LOCAL_ONLY:
            return f"remote, and {route.sensitivity} data never leaves this machine"
        if info.remote and self.offline:
            return "remote, and the run is offline (no network connection is attempted)"
        if info.unavailable:
            return f"not available: {info.unavailable}"
        if info.circuit_open():
            return "endpoint out of rotation (circuit open after repeated failures)"
        caps = info.capabilities
        chat = request.messages is not None
        if caps is not None and chat and "chat" not in caps and "completion" not in caps:
            return "no chat template and no completion mode"
        if info.context_window is not None and tokens > info.context_window:
            return f"context window {info.context_window} too small for ~{tokens} tokens"
        if route.min_quality and tier_rank(info.tier) < tier_rank(route.min_quality):
            return f"quality tier {info.tier} is below the minimum {route.min_quality}"
        if route.max_cost_per_call is not None and cost > route.max_cost_per_call:
            return f"estimated ${cost:.6f} exceeds max_cost_per_call ${route.max_cost_per_call}"
        latency = info.estimate_latency(request.max_tokens)
        if (
            route.max_latency_s is not None
            and latency is not None
            and latency > route.max_latency_s
        ):
            return f"estimated {latency:.1f}s exceeds max_latency_s {route.max_latency_s}"
        return None

    def _pick(
        self, checked: list[Candidate], route: RoutePolicy, want: str | None, tokens: int
    ) -> Decision:
        """The first acceptable candidate if the budget allows it; else stop, or downgrade
        to the first candidate that fits (a downgrade lifts a pin)."""
        budget = self.budget
        fits = [c for c in checked if c.rejected is None]
        wanted = [c for c in fits if want is None or c.info.model_id == want]
        preferred = wanted[0] if wanted else None
        over = budget.exceeded_by(preferred.est_cost_usd, tokens) if budget and preferred else None
        chosen, note = preferred, ""
        if over and budget is not None and budget.on_exceed == "downgrade":
            cheaper = [c for c in fits if not budget.exceeded_by(c.est_cost_usd, tokens)]
            chosen = cheaper[0] if cheaper else None
            note = f"downgraded from {preferred.info.model_id if preferred else '?'}: {over}"
        elif over:
            chosen = None
        out = [
            Candidate(c.info, c.est_cost_usd, self._verdict(c, chosen, want, budget, tokens))
            for c in checked
        ]
        if chosen is not None:
            reason = note or self._why(chosen.info, route, want)
            return Decision(chosen.info, out, reason, chosen.est_cost_usd, tokens)
        if over:
            return Decision(
                None,
                out,
                f"the run budget stops this call: {over}",
                0.0,
                tokens,
                error_class="budget",
            )
        reason, error_class = self._no_choice(out, want)
        return Decision(None, out, reason, 0.0, tokens, error_class=error_class)

    def _verdict(
        self,
        cand: Candidate,
        chosen: Candidate | None,
        want: str | None,
        budget: RunBudget | None,
        tokens: int,
    ) -> str | None:
        if cand is chosen:
            return None
        if cand.rejected is not None:
            return cand.rejected
        over = budget.exceeded_by(cand.est_cost_usd, tokens) if budget else None
        if over:
            return f"budget: {over}"
        if want is not None and cand.info.model_id != want:
            return f"not the requested model {want}"
        if chosen is None:
            return "the budget stops the call instead of downgrading"
        return f"ranked below {chosen.info.model_id}"

    def _why(self, info: ModelInfo, route: RoutePolicy, want: str | None) -> str:
        if want is not None:
            return f"{info.model_id} was requested and passes every policy check"
        where = "remote" if info.remote else "local"
        order = "highest quality tier" if route.tier == "hard" else "cheapest suitable, local first"
        return f"{info.model_id} ({where}, tier {info.tier}) ranks first: {order}"

    def _no_choice(self, out: list[Candidate], want: str | None) -> tuple[str, str]:
        reasons = [c.rejected or "" for c in out if want is None or c.info.model_id == want]
        if self.offline and any("offline" in r for r in reasons):
            target = f"model {want}" if want else "a remote model"
            return f"offline: this node can only run on {target}; no network is used", "offline"
        detail = "; ".join(f"{c.info.model_id}: {c.rejected}" for c in out) or "no models"
        return f"no model satisfies the route policy ({detail})", "policy"
