"""One llm call under its route policy: route, call, judge the answer, escalate or fall back,
and record each routing decision and model call (tokens, cost, seconds) in the trace."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from engine.approvals.model import ApprovalRequest, canonical
from engine.errors import NodeError
from engine.nodes.base import NodeContext
from engine.providers.base import ModelRequest, ModelResult, ProviderError
from engine.providers.remote.calls import CallContext, call_context, offline_switch
from engine.routing.directory import ModelInfo, describe
from engine.routing.events import ModelCall, ProviderRetry, RoutingDecision
from engine.routing.policy import RoutePolicy
from engine.routing.router import Decision, Router


def confidence_of(result: ModelResult) -> float | None:
    """The hook escalation on low confidence reads: `extra["confidence"]`, or the
    geometric-mean probability of `extra["token_logprobs"]`. Remote endpoints report logprobs
    when asked; the local provider always reports both. None when a provider reports neither."""
    value = result.extra.get("confidence")
    if isinstance(value, int | float):
        return float(value)
    logprobs = result.extra.get("token_logprobs")
    if isinstance(logprobs, list) and logprobs:
        return math.exp(sum(logprobs) / len(logprobs))
    return None


@dataclass(slots=True)
class Spend:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class RoutedCall:
    """Runs one node attempt's model calls; `run` returns the accepted result and spend."""

    def __init__(
        self, ctx: NodeContext, route: RoutePolicy, request: ModelRequest, pinned: str | None
    ) -> None:
        self.ctx, self.route, self.pinned = ctx, route, pinned
        esc = route.escalate
        self.request = request
        if esc is not None and esc.min_confidence is not None and not request.logprobs:
            self.request = dataclasses.replace(request, logprobs=True)
        policy = ctx.policy
        self.offline = policy.offline or offline_switch()
        self.router = Router(ctx.providers, policy, ctx.budget, self.offline)
        self.spend = Spend()
        self.tried: list[str] = []
        self.escalated = False
        self._fallbacks = list(route.fallback)

    async def run(self) -> tuple[ModelResult, Spend]:
        # Model profiles may need file checks (a first-use checksum of a bundled model):
        # fill the directory's cache off the event loop so the UI and other nodes never wait.
        await asyncio.to_thread(describe, self.ctx.providers)
        decision = self._decide("initial", None, pinned=self.pinned)
        while decision.chosen is None and decision.error_class in ("policy", "offline"):
            if not self._fallbacks:  # e.g. the pinned endpoint's circuit is open
                break
            decision = self._decide("fallback", "unavailable", target=self._fallbacks.pop(0))
        offline = decision.chosen is None and decision.error_class == "offline"
        if offline and self.route.offline_fallback == "local":
            warning = f"{decision.reason}; running locally instead (offline_fallback: local)"
            self.ctx.log("warning", warning)
            decision = self._decide("initial", None, warning=warning)
        if decision.chosen is None:
            raise NodeError(decision.reason, error_class=decision.error_class)
        while True:
            info = decision.chosen
            assert info is not None
            result, failure = await self._call(info, decision)
            if failure is None:
                assert result is not None
                trigger = self._judge(result)
                esc = self.route.escalate
                if trigger is None or esc is None or self.escalated:
                    return result, self.spend
                self.escalated = True
                low = trigger == "low_confidence"
                following = self._decide(
                    "escalation",
                    trigger,
                    target=esc.to,
                    after=info,
                    confidence=confidence_of(result) if low else None,
                    threshold=esc.min_confidence if low else None,
                )
                if following.chosen is None:
                    return result, self.spend  # nowhere better to go; the node judges it
            else:
                following = self._after_error(info, failure)
            decision = following

    def _after_error(self, info: ModelInfo, failure: NodeError) -> Decision:
        esc = self.route.escalate
        trigger = "timeout" if failure.error_class == "timeout" else "error"
        if not info.remote and esc is not None and esc.on_local_error and not self.escalated:
            self.escalated = True
            decision = self._decide("escalation", f"local_{trigger}", target=esc.to, after=info)
            if decision.chosen is not None:
                return decision
        while self._fallbacks:
            target = self._fallbacks.pop(0)
            decision = self._decide("fallback", trigger, target=target)
            if decision.chosen is not None:
                return decision
        raise failure

    def _decide(
        self,
        phase: str,
        trigger: str | None,
        *,
        pinned: str | None = None,
        target: str | None = None,
        after: ModelInfo | None = None,
        warning: str | None = None,
        confidence: float | None = None,
        threshold: float | None = None,
    ) -> Decision:
        decision = self.router.choose(
            self.route,
            self.request,
            pinned=pinned,
            target=target,
            exclude=self.tried,
            prefer_better_than=after.model_id if after else None,
        )
        budget = self.ctx.budget
        chosen = decision.chosen
        self.ctx.emit(
            RoutingDecision,
            {
                "attempt": self.ctx.attempt,
                "call": len(self.tried) + 1,
                "phase": phase,
                "chosen": chosen.model_id if chosen else None,
                "provider": chosen.provider.name if chosen else None,
                "reason": decision.reason,
                "trigger": trigger,
                "candidates": [c.to_json() for c in decision.candidates],
                "estimate_usd": decision.estimate_usd,
                "budget_remaining_usd": budget.remaining_usd() if budget else None,
                "warning": warning,
                "confidence": confidence,
                "threshold": threshold,
            },
        )
        return decision

    async def _call(
        self, info: ModelInfo, decision: Decision
    ) -> tuple[ModelResult | None, NodeError | None]:
        self.tried.append(info.model_id)
        gate = await self._gate(info, decision)
        if gate is not None:
            return None, gate
        budget, ctx = self.ctx.budget, self.ctx
        held = budget.reserve(decision.estimate_usd, decision.est_tokens) if budget else None
        esc = self.route.escalate
        local_limit = esc.local_timeout_s if esc is not None and not info.remote else None
        call = CallContext(
            self.route.sensitivity, self.offline, self.route.max_latency_s, self._report
        )
        started = time.perf_counter()
        result: ModelResult | None = None
        failure: NodeError | None = None
        try:
            with call_context(call):
                async with asyncio.timeout(local_limit):
                    result = await info.provider.generate(info.model_id, self.request, ctx.token)
        except TimeoutError:
            failure = NodeError(f"local model {info.model_id} took over {local_limit}s",
                                error_class="timeout")  # fmt: skip
        except ProviderError as exc:
            failure = NodeError(str(exc), error_class="transient" if exc.transient else "model")
        finally:
            used = result.prompt_tokens + result.completion_tokens if result else 0
            cost = result.cost_usd if result else 0.0
            if budget is not None and held is not None:
                budget.settle(held, ctx.node_id, cost, used)
        if result is not None:
            self.spend.prompt_tokens += result.prompt_tokens
            self.spend.completion_tokens += result.completion_tokens
            self.spend.cost_usd += result.cost_usd
        self._record(info, result, failure, time.perf_counter() - started)
        return result, failure

    async def _gate(self, info: ModelInfo, decision: Decision) -> NodeError | None:
        """Policy gates of the route: costly calls and data leaving the machine wait for a
        person (the same approval requests as approval nodes and tool rules)."""
        route = self.route
        rules = []
        if route.approve_above_usd is not None and decision.estimate_usd > route.approve_above_usd:
            rules.append(f"estimated cost above ${route.approve_above_usd:.4f} needs approval")
        if info.remote and (
            route.approve_remote == "always"
            or (route.approve_remote == "escalation" and self.escalated)
        ):
            rules.append("sending this node's data to a remote model needs approval")
        if not rules:
            return None
        call = len(self.tried)
        digest = hashlib.sha256(canonical(dataclasses.asdict(self.request)).encode()).hexdigest()
        request = ApprovalRequest(
            run_id=self.ctx.run_id,
            node_id=self.ctx.node_id,
            kind="policy_gate",
            title=f"Call {info.model_id}?",
            summary="; ".join(rules),
            proposed={
                "model": info.model_id,
                "provider": info.provider.name,
                "remote": info.remote,
                "estimate_usd": round(decision.estimate_usd, 6),
                "escalation": self.escalated,
            },
            rule="; ".join(rules),
            allow_edit=False,
            key=f"route:{info.model_id}:{call}:{digest[:16]}",
        )
        answer = await self.ctx.request_approval(request)
        if answer.approved:
            return None
        return NodeError(
            f"call to {info.model_id} not approved by {answer.decider}", error_class="rejected"
        )

    def _judge(self, result: ModelResult) -> str | None:
        esc = self.route.escalate
        if esc is None:
            return None
        if esc.on_schema_failure and result.json_valid is False:
            return "schema"
        confidence = confidence_of(result)
        threshold = esc.min_confidence
        if threshold is not None and confidence is not None and confidence < threshold:
            return "low_confidence"
        return None

    def _record(
        self,
        info: ModelInfo,
        result: ModelResult | None,
        failure: NodeError | None,
        seconds: float,
    ) -> None:
        outcome = "ok"
        if failure is not None:
            outcome = "timeout" if failure.error_class == "timeout" else "error"
        elif result is not None and result.json_valid is False:
            outcome = "schema_failed"
        elif result is not None and self._judge(result) == "low_confidence":
            outcome = "low_confidence"
        self.ctx.emit(
            ModelCall,
            {
                "attempt": self.ctx.attempt,
                "call": len(self.tried),
                "model": info.model_id,
                "provider": info.provider.name,
                "remote": info.remote,
                "outcome": outcome,
                "prompt_tokens": result.prompt_tokens if result else 0,
                "completion_tokens": result.completion_tokens if result else 0,
                "cost_usd": result.cost_usd if result else 0.0,
                "duration_s": seconds,
                "confidence": confidence_of(result) if result else None,
                "error": str(failure) if failure else (result.json_error if result else None),
            },
        )

    def _report(self, kind: str, details: dict[str, Any]) -> None:
        self.ctx.emit(
            ProviderRetry,
            {
                "attempt": self.ctx.attempt,
                "kind": kind,
                "endpoint": str(details.get("endpoint", "")),
                "error": str(details.get("error", "")),
                "wait_s": float(details.get("wait_s", 0.0)),
            },
        )
