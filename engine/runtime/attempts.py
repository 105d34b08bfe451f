"""Running one node: result cache, attempts with timeout and retry/backoff, the fallback,
and the node's on_error policy. Emits every node event of the trace."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from engine.errors import NodeError, NodeTimeout, RunInterrupted
from engine.nodes.base import NodeContext, NodeResult, RunChild
from engine.nodes.executor import ItemExecutor
from engine.providers.base import ProviderRegistry
from engine.routing.budget import RunBudget, Usage
from engine.runtime.approval_gate import ApprovalService, AwaitingApproval
from engine.runtime.graph import CompiledNode
from engine.sandbox import RunOutput, sandbox_scope
from engine.store.errors import StoreError
from engine.store.protocol import RunStore
from engine.trace.events import (
    EventBus,
    NodeCached,
    NodeFailed,
    NodeLog,
    NodeRetrying,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    NodeToken,
    NodeWaiting,
    RunEvent,
)
from engine.workflow.model import WorkflowPolicy

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Outcome:
    state: str
    """succeeded, cached, failed (continued or routed) — or fail_run."""
    outputs: dict[str, Any] | None = None
    fail_run: bool = False
    error: str | None = None


Totals = Usage
"""A run's totals: the sum over every ended attempt of the run, whatever process ran it."""


def cache_key(
    compiled: CompiledNode, inputs: dict[str, Any], facts: dict[str, Any] | None = None
) -> str:
    """Node kind and version, its config, the signature of all its inputs, and the facts
    the kind adds (the content of child workflows)."""
    payload = {
        "kind": compiled.kind.name,
        "version": compiled.kind.version,
        "config": compiled.node.config,
        "inputs": inputs,
        "facts": facts or {},
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()


def _nothing() -> None:
    return None


@dataclass
class NodeRunner:
    """Executes single nodes of one run and records what happened as events."""

    run_id: str
    bus: EventBus
    providers: ProviderRegistry
    registry: Any
    store: RunStore | None
    use_cache: bool
    run_child: RunChild
    base_dir: Any = None
    depth: int = 0
    attempts_so_far: dict[str, int] = field(default_factory=dict)
    run_inputs: dict[str, Any] = field(default_factory=dict)
    approvals: ApprovalService | None = None
    policy: WorkflowPolicy = field(default_factory=WorkflowPolicy)
    totals: Totals = field(default_factory=Totals)
    checkpoints: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Progress recorded by nodes before a resume (see `NodeContext.checkpoints`); each
    node gets it once, in its first attempt in this process."""
    commit: Callable[[], None] = _nothing
    """Make the events so far durable now (the store recorder's flush)."""
    fresh: frozenset[str] = frozenset()
    """Nodes recomputed whatever the cache holds (a re-run from a node); their new results
    still replace the cached ones."""
    executor: ItemExecutor | None = None
    """Where map items run (None: in this process); see `engine.nodes.executor`."""
    released: dict[str, str] = field(default_factory=dict)
    """Nodes being cancelled because nothing needs them any more, with the reason."""
    budget: RunBudget = field(init=False)
    _durations: dict[str, float] = field(default_factory=dict)
    _reusable: dict[str, bool] = field(default_factory=dict)
    _models_fingerprint: str | None = None
    _output: RunOutput | None = None

    def __post_init__(self) -> None:
        self.budget = RunBudget.from_policy(self.policy.budget, self.totals)

    def _template_output(self) -> RunOutput:
        """The run's template output so far (one tally for all its nodes)."""
        if self._output is None:
            self._output = RunOutput(self.policy.templates.max_run_chars)
        return self._output

    def _models(self) -> str:
        """The providers' fingerprint, once per run (models on offer don't change in it)."""
        if self._models_fingerprint is None:
            self._models_fingerprint = self.providers.fingerprint()
        return self._models_fingerprint

    def _cacheable(self, compiled: CompiledNode) -> bool:
        node_id = compiled.node.id
        known = self._reusable.get(node_id)
        if known is None:
            known = compiled.kind.is_cacheable(compiled.config, self.registry, self.base_dir)
            self._reusable[node_id] = known
        return known

    def record_skipped(self, node_id: str, reason: str) -> None:
        self.bus.emit(NodeSkipped, node_id=node_id, reason=reason)

    def record_reused(self, node_id: str, outputs: dict[str, Any], source: str) -> None:
        self.bus.emit(NodeCached, node_id=node_id, outputs=outputs, source=source)

    def join_timeout(self, compiled: CompiledNode) -> Outcome:
        rule = compiled.join
        timeout = rule.timeout_s if rule else None
        return self._failed(compiled, NodeTimeout(f"join not satisfied within {timeout}s"), 0, 0.0)

    async def run(self, compiled: CompiledNode, inputs: dict[str, Any]) -> Outcome:
        try:
            return await self._run(compiled, inputs)
        except AwaitingApproval as waiting:
            node_id = compiled.node.id
            self.bus.emit(
                NodeWaiting,
                node_id=node_id,
                attempt=self.attempts_so_far.get(node_id, 1),
                request_id=waiting.request_id,
                **self._attempt_usage(node_id),
            )
            return Outcome("waiting")

    async def _run(self, compiled: CompiledNode, inputs: dict[str, Any]) -> Outcome:
        node = compiled.node
        key = None
        cacheable = self.use_cache and self.store is not None and self._cacheable(compiled)
        if cacheable and node.policy.cache:
            facts = compiled.kind.cache_facts(compiled.config, self.base_dir)
            key = cache_key(compiled, inputs, {**facts, "models": self._models()})
            assert self.store is not None
            hit = None if node.id in self.fresh else self.store.cache_get(key)
            if hit is not None:
                self.bus.emit(
                    NodeCached,
                    node_id=node.id,
                    outputs=hit.outputs,
                    cache_key=key,
                    origin_run_id=hit.run_id,
                )
                return Outcome("cached", hit.outputs)
        policy = node.policy.retry
        error: BaseException = NodeError("no attempt made")
        started = time.monotonic()
        for n in range(1, policy.max_attempts + 1):
            try:
                return self._succeeded(
                    compiled, await self._attempt(compiled, compiled.config, inputs), key
                )
            except NodeError as exc:
                error = exc
            attempt = self.attempts_so_far[node.id]
            if n < policy.max_attempts and policy.retries(_class_of(error)):
                delay = policy.delay(n)
                hint = error.retry_after_s if isinstance(error, NodeError) else None
                if hint is not None:  # the service's own Retry-After, within the policy's cap
                    delay = min(policy.max_delay_s, max(delay, hint))
                self.bus.emit(
                    NodeRetrying,
                    node_id=node.id,
                    attempt=attempt,
                    error=str(error),
                    error_class=_class_of(error),
                    delay_s=delay,
                    **self._attempt_usage(node.id),
                )
                await asyncio.sleep(delay)
            else:
                break
        used_fallback = False
        if node.policy.fallback is not None:
            fallback = node.policy.fallback
            kind = self.registry.get(fallback.kind) if fallback.kind else compiled.kind
            try:
                if kind is None:
                    raise NodeError(
                        f"fallback kind {fallback.kind!r} is unknown", error_class="config"
                    )
                config = kind.parse_config({**node.config, **fallback.config})
                alt = CompiledNode(node, kind, config, compiled.outputs, compiled.join)
                # The last regular attempt ends here; the fallback is an attempt of its own.
                self.bus.emit(
                    NodeRetrying,
                    node_id=node.id,
                    attempt=self.attempts_so_far.get(node.id, 0),
                    error=str(error),
                    error_class=_class_of(error),
                    next_is_fallback=True,
                    **self._attempt_usage(node.id),
                )
                used_fallback = True
                result = await self._attempt(alt, config, inputs, fallback=True)
                return self._succeeded(compiled, result, key, fallback=True)
            except NodeError as exc:
                error = exc
            except ValueError as exc:
                error = NodeError(f"fallback config: {exc}", error_class="config")
        return self._failed(
            compiled, error, self.attempts_so_far.get(node.id, 0), started, used_fallback
        )

    async def _attempt(
        self, compiled: CompiledNode, config: Any, inputs: dict[str, Any], fallback: bool = False
    ) -> NodeResult:
        node_id = compiled.node.id
        attempt = self.attempts_so_far.get(node_id, 0) + 1
        self.attempts_so_far[node_id] = attempt
        self.bus.emit(
            NodeStarted,
            node_id=node_id,
            attempt=attempt,
            kind=compiled.kind.name,
            inputs=inputs,
            fallback=fallback,
        )
        if not compiled.kind.cacheable:
            # A node that may have side effects: its start is on disk before it acts.
            self.commit()
        bus = self.bus
        ctx = NodeContext(
            run_id=self.run_id,
            node_id=node_id,
            node_title=compiled.node.title,
            attempt=attempt,
            providers=self.providers,
            registry=self.registry,
            base_dir=self.base_dir,
            emit_token=partial(_emit_token, bus, node_id, attempt),
            log=partial(_emit_log, bus, node_id),
            run_child=self.run_child,
            depth=self.depth,
            run_inputs=self.run_inputs,
            policy=self.policy,
            emit=partial(_emit_node_event, bus, node_id),
            audit=self.store.append_audit if self.store is not None else None,
            budget=self.budget,
            checkpoints=self.checkpoints.pop(node_id, []),
            executor=self.executor,
        )
        if self.approvals is not None:
            ctx.request_approval = self.approvals.request
        started = time.monotonic()
        limits = self.policy.templates  # templates stop at the node's timeout too
        scope = sandbox_scope(
            timeout_s=compiled.node.policy.timeout_s,
            max_chars=limits.max_chars,
            max_seconds=limits.max_seconds,
            run=self._template_output(),
        )
        try:
            with scope:
                async with asyncio.timeout(compiled.node.policy.timeout_s):
                    result = await compiled.kind.run(ctx, config, inputs)
            self._durations[node_id] = time.monotonic() - started
            return result
        except TimeoutError:
            raise NodeTimeout(f"timed out after {compiled.node.policy.timeout_s}s") from None
        except NodeError:
            raise
        except RunInterrupted as exc:  # the attempt ends here; the node runs again on resume
            self.bus.emit(
                NodeFailed,
                node_id=node_id,
                attempt=attempt,
                error=str(exc),
                error_class="interrupted",
                on_error="fail",
                duration_s=time.monotonic() - started,
                **self._attempt_usage(node_id),
            )
            raise
        except asyncio.CancelledError:
            reason = self.released.pop(node_id, None)
            if reason is not None:
                self.bus.emit(
                    NodeSkipped,
                    node_id=node_id,
                    reason=reason,
                    attempt=attempt,
                    **self._attempt_usage(node_id),
                )
                raise
            self.bus.emit(
                NodeFailed,
                node_id=node_id,
                attempt=attempt,
                error="cancelled",
                error_class="cancelled",
                on_error="fail",
                duration_s=time.monotonic() - started,
                **self._attempt_usage(node_id),
            )
            raise
        except Exception as exc:  # a bug in a node kind must not take the run down unrecorded
            raise NodeError(f"{type(exc).__name__}: {exc}", error_class="error") from exc

    def _succeeded(
        self, compiled: CompiledNode, result: NodeResult, key: str | None, fallback: bool = False
    ) -> Outcome:
        node_id = compiled.node.id
        outputs = {k: v for k, v in result.outputs.items() if k in compiled.outputs}
        # The result reports what the attempt used (its own calls and any child runs).
        self.budget.take(node_id)
        self.totals.add(result.prompt_tokens, result.completion_tokens, result.cost_usd)
        self.bus.emit(
            NodeSucceeded,
            node_id=node_id,
            attempt=self.attempts_so_far[node_id],
            outputs=outputs,
            duration_s=self._durations.pop(node_id, 0.0),
            model=result.model,
            provider=result.provider,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            cost_usd=result.cost_usd,
            cache_key=key,
            fallback=fallback,
        )
        if key is not None and self.store is not None:
            try:
                self.store.cache_put(key, compiled.kind.name, outputs, self.run_id)
            except StoreError as exc:  # the cache is optional; the recorder stops the run
                log.warning("could not cache %s's result: %s", node_id, exc)
        return Outcome("succeeded", outputs)

    def _failed(
        self,
        compiled: CompiledNode,
        error: BaseException,
        attempt: int,
        started: float,
        fallback: bool = False,
    ) -> Outcome:
        node = compiled.node
        on_error = node.policy.on_error
        outputs: dict[str, Any] = {}
        if on_error == "continue":
            outputs = {port: None for port in compiled.outputs if port != "error"}
        elif on_error == "route" and isinstance(error, NodeError) and error.route:
            port, value = error.route
            outputs = {port: value}
        elif on_error == "route":
            outputs = {
                "error": {"node": node.id, "message": str(error), "error_class": _class_of(error)}
            }
        self.bus.emit(
            NodeFailed,
            node_id=node.id,
            attempt=attempt,
            error=str(error),
            error_class=_class_of(error),
            on_error=on_error,
            outputs=outputs,
            duration_s=time.monotonic() - started if started else 0.0,
            fallback=fallback,
            **self._attempt_usage(node.id),
        )
        if on_error == "fail":
            return Outcome("failed", None, fail_run=True, error=str(error))
        return Outcome("failed", outputs, error=str(error))

    def _attempt_usage(self, node_id: str) -> dict[str, Any]:
        """Take the ending attempt's calls from the budget into the run's totals, as the
        usage fields of the event that ends the attempt."""
        used = self.budget.take(node_id)
        self.totals.add(used.prompt_tokens, used.completion_tokens, used.cost_usd)
        return {
            "prompt_tokens": used.prompt_tokens,
            "completion_tokens": used.completion_tokens,
            "cost_usd": used.cost_usd,
        }


def _emit_token(bus: EventBus, node_id: str, attempt: int, text: str) -> None:
    bus.emit(NodeToken, node_id=node_id, attempt=attempt, text=text)


def _emit_node_event(
    bus: EventBus, node_id: str, cls: type[RunEvent], fields: dict[str, Any]
) -> None:
    bus.emit(cls, node_id=node_id, **fields)


def _emit_log(bus: EventBus, node_id: str, level: str, message: str) -> None:
    bus.emit(NodeLog, node_id=node_id, level=level, message=message)


def _class_of(error: BaseException) -> str:
    return error.error_class if isinstance(error, NodeError) else "error"
