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
from engine.providers.base import ChatMessage, ModelRequest, ModelResult, ProviderError
from engine.providers.remote.calls import CallContext, call_context
from engine.providers.remote.wire import estimate_prompt_tokens
from engine.routing.directory import ModelInfo, describe
from engine.routing.events import ModelCall, ProviderRetry, RoutingDecision
from engine.routing.host import CallHost
from engine.routing.policy import Agreement, RoutePolicy, Verifier
from engine.routing.prompting import few_shot_request, needs_completion
from engine.routing.router import Decision, Router
from engine.sandbox import render

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ok": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["ok"],
}
"""What a verifier call answers."""


def answer_of(result: ModelResult) -> Any:
    """What two answers are compared on: the JSON value, else the text casefolded."""
    if result.json_value is not None:
        return result.json_value
    return " ".join(result.text.split()).casefold()


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
        self, ctx: CallHost, route: RoutePolicy, request: ModelRequest, pinned: str | None
    ) -> None:
        self.ctx, self.route, self.pinned = ctx, route, pinned
        self.request = request
        """The node's request; an answer call adds logprobs where its confidence is judged."""
        policy = ctx.policy
        self.offline = policy.offline  # the run's, captured when it started
        self.router = Router(ctx.providers, policy, ctx.budget, self.offline)
        self.spend = Spend()
        self.tried: list[str] = []
        self.escalated = False
        self.step = 0
        """Rungs of the escalation ladder climbed so far."""
        self.rungs: list[str] | None = None
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
                trigger, detail = await self._judge_with_checks(info, result)
                if trigger is None:
                    return result, self.spend
                low = trigger == "low_confidence"
                following = self._escalate(
                    info,
                    trigger,
                    confidence=confidence_of(result) if low else None,
                    threshold=self._threshold() if low else None,
                    detail=detail,
                )
                if following is None:
                    return result, self.spend  # nowhere better to go; the node judges it
            else:
                following = self._after_error(info, failure)
            decision = following

    def _threshold(self) -> float | None:
        """The confidence the answer of the current rung must reach: a ladder step's own
        min_confidence, else the escalation's."""
        esc = self.route.escalate
        if esc is None:
            return None
        ladder = esc.ladder()
        if ladder and 0 < self.step <= len(ladder):
            own = ladder[self.step - 1].min_confidence
            if own is not None:
                return own
        return esc.min_confidence

    def _escalate(
        self,
        info: ModelInfo,
        trigger: str,
        *,
        confidence: float | None = None,
        threshold: float | None = None,
        detail: str | None = None,
    ) -> Decision | None:
        """The next rung of the ladder that can take the call, each choice recorded; None
        when the ladder is climbed or nothing above can take it."""
        esc = self.route.escalate
        if esc is None:
            return None
        if self.rungs is None:
            self.rungs = self._ladder_above(info, self.tried)
        decision: Decision | None = None
        while self.step < len(self.rungs):
            target = self.rungs[self.step]
            self.step += 1
            self.escalated = True
            decision = self._decide(
                "escalation",
                trigger,
                target=target,
                after=info,
                confidence=confidence,
                threshold=threshold,
                warning=detail,
            )
            if decision.chosen is not None:
                return decision
        if decision is None:  # the ladder was climbed already: say so in the trace
            self._record_top(trigger, confidence, threshold)
        return None

    def _ladder_above(self, info: ModelInfo, tried: list[str]) -> list[str]:
        """The rungs an escalation from `info`'s answer climbs: the explicit ladder, else
        the auto ladder above it ("auto": the best untried model, when that is empty)."""
        esc = self.route.escalate
        ladder = esc.ladder() if esc is not None else None
        if ladder is not None:
            return [step.model for step in ladder]
        auto = self.router.auto_ladder(self.route, self.request, info.model_id, tried)
        return auto or ["auto"]

    def _judges_confidence(self, info: ModelInfo) -> bool:
        """Whether `info`'s answer at this rung will be held to a confidence threshold: the
        rung has one and a rung above could take the call. Only then is an endpoint asked
        for logprobs, which can slow a server many times over (llama_cpp.server sorts the
        whole vocabulary per token for them)."""
        if self._threshold() is None:
            return False
        tried = [*self.tried, info.model_id]
        rungs = self.rungs if self.rungs is not None else self._ladder_above(info, tried)
        return any(
            self.router.choose(
                self.route, self.request, target=target, exclude=tried,
                prefer_better_than=info.model_id,
            ).chosen
            is not None
            for target in rungs[self.step :]
        )  # fmt: skip

    def _after_error(self, info: ModelInfo, failure: NodeError) -> Decision:
        esc = self.route.escalate
        trigger = "timeout" if failure.error_class == "timeout" else "error"
        if not info.remote and esc is not None and esc.on_local_error:
            decision = self._escalate(info, f"local_{trigger}")
            if decision is not None:
                return decision
        while self._fallbacks:
            target = self._fallbacks.pop(0)
            decision = self._decide("fallback", trigger, target=target)
            if decision.chosen is not None:
                return decision
        raise failure

    def _record_top(self, trigger: str, confidence: float | None, threshold: float | None) -> None:
        self.ctx.emit(
            RoutingDecision,
            {
                "attempt": self.ctx.attempt,
                "call": len(self.tried) + 1,
                "phase": "escalation",
                "chosen": None,
                "provider": None,
                "reason": "the escalation ladder is climbed: the last answer stands",
                "trigger": trigger,
                "confidence": confidence,
                "threshold": threshold,
            },
        )

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
        self,
        info: ModelInfo,
        decision: Decision,
        request: ModelRequest | None = None,
        purpose: str = "answer",
    ) -> tuple[ModelResult | None, NodeError | None]:
        """One provider call: the answer (streamed to the node), or a check of it."""
        answering = purpose == "answer"
        if answering:
            self.tried.append(info.model_id)
        if request is None:
            request = self.request
            if not request.logprobs and self._judges_confidence(info):
                request = dataclasses.replace(request, logprobs=True)
        if needs_completion(info.capabilities, request):
            request = few_shot_request(request)
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
                    result = await info.provider.generate(
                        info.model_id, request, ctx.token if answering else None
                    )
        except TimeoutError:
            failure = NodeError(f"local model {info.model_id} took over {local_limit}s",
                                error_class="timeout")  # fmt: skip
        except ProviderError as exc:
            failure = NodeError(str(exc), error_class="transient" if exc.transient else "model")
        finally:
            if budget is not None and held is not None:
                if result is None:
                    budget.settle(held, ctx.node_id, 0.0, 0, 0)
                else:
                    budget.settle(
                        held,
                        ctx.node_id,
                        result.cost_usd,
                        result.prompt_tokens,
                        result.completion_tokens,
                    )
        if result is not None:
            self.spend.prompt_tokens += result.prompt_tokens
            self.spend.completion_tokens += result.completion_tokens
            self.spend.cost_usd += result.cost_usd
        seconds = time.perf_counter() - started
        self._record(info, result, failure, seconds, purpose, request.logprobs)
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
        threshold = self._threshold()
        if threshold is not None and confidence is not None and confidence < threshold:
            return "low_confidence"
        return None

    def _record(
        self,
        info: ModelInfo,
        result: ModelResult | None,
        failure: NodeError | None,
        seconds: float,
        purpose: str = "answer",
        logprobs: bool = False,
    ) -> None:
        outcome = "ok"
        if failure is not None:
            outcome = "timeout" if failure.error_class == "timeout" else "error"
        elif result is not None and result.json_valid is False:
            outcome = "schema_failed"
        elif purpose == "answer" and result is not None and self._judge(result) == "low_confidence":
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
                "purpose": purpose,
                "seed": self.request.seed,
                "logprobs": logprobs,
            },
        )

    async def _judge_with_checks(
        self, info: ModelInfo, result: ModelResult
    ) -> tuple[str | None, str | None]:
        """(trigger, what the check found): the answer's own triggers first, then the
        agreement and verifier checks, which cost calls and so run only below the top."""
        trigger = self._judge(result)
        esc = self.route.escalate
        if trigger is not None or esc is None or info.remote:
            return trigger, None
        if esc.agreement is not None:
            found = await self._disagreement(info, result, esc.agreement)
            if found is not None:
                return "disagreement", found
        if esc.verify is not None:
            found = await self._refuted(info, result, esc.verify)
            if found is not None:
                return "verifier", found
        return None, None

    def _info(self, model: str | None, default: ModelInfo) -> ModelInfo | None:
        if model is None or model == default.model_id:
            return default
        return next((i for i in describe(self.ctx.providers) if i.model_id == model), None)

    def _check_decision(self, info: ModelInfo, request: ModelRequest) -> Decision:
        prompt = estimate_prompt_tokens(request)
        cost = info.estimate_cost(prompt, request.max_tokens)
        return Decision(info, [], "check", cost, prompt + request.max_tokens)

    async def _disagreement(
        self, info: ModelInfo, result: ModelResult, agreement: Agreement
    ) -> str | None:
        other = self._info(agreement.model, info)
        if other is None:
            self.ctx.log("warning", f"agreement model {agreement.model!r} is not available")
            return None
        first = answer_of(result)
        for sample in range(1, agreement.samples):
            request = dataclasses.replace(
                self.request,
                temperature=agreement.temperature if other is info else self.request.temperature,
                seed=(self.request.seed or 0) + sample,
            )
            second, failure = await self._call(
                other, self._check_decision(other, request), request, "agreement"
            )
            if second is None or failure is not None:
                continue
            if answer_of(second) != first:
                return (
                    f"{info.model_id} answered {first!r}, {other.model_id} answered "
                    f"{answer_of(second)!r}"
                )
        return None

    async def _refuted(self, info: ModelInfo, result: ModelResult, verify: Verifier) -> str | None:
        checker = self._info(verify.model, info)
        if checker is None:
            self.ctx.log("warning", f"verifier model {verify.model!r} is not available")
            return None
        messages = self.request.messages or ()
        question = next(
            (m.content for m in reversed(messages) if m.role == "user"), self.request.prompt or ""
        )
        prompt = render(verify.prompt, {"question": question, "answer": result.text})
        request = ModelRequest(
            messages=[ChatMessage("user", prompt)],
            max_tokens=12,
            json_schema=VERDICT_SCHEMA,
            examples=(("Is 2 + 2 = 4? Answer: 4", '{"ok": "yes"}'),),
        )
        verdict, failure = await self._call(
            checker, self._check_decision(checker, request), request, "verify"
        )
        if verdict is None or failure is not None or not isinstance(verdict.json_value, dict):
            return None
        if verdict.json_value.get("ok") == "no":
            return f"the verifier ({checker.model_id}) answered no"
        return None

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
