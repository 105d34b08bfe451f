"""The loop node kind: repeat a body (a node template or a workflow file) until a condition
holds or a required maximum of iterations is reached (draft → review → revise until
approved; poll until ready).

Each iteration is a `loop_iteration` event in the trace (a child run when the body is a
workflow); a resumed run continues after the last recorded iteration. The graph itself
stays acyclic, so validation still proves that every run terminates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from engine.errors import NodeError, RunError, RunInterrupted
from engine.nodes.base import (
    ConfigProblem,
    KindConfig,
    NodeContext,
    NodeKind,
    NodeRegistry,
    NodeResult,
    PortSpec,
)
from engine.nodes.composite import (
    NodeTemplate,
    _child_digest,
    _child_reusable,
    _load_child,
    check_child_ports,
    check_template,
)
from engine.sandbox import SandboxError, check_expression, evaluate, expression_names
from engine.trace.events import LoopIteration
from engine.workflow.model import MAX_NESTING

MAX_ITERATIONS = 1000


class LoopConfig(KindConfig):
    template: NodeTemplate | None = Field(
        default=None, description="A node run once per iteration (the state on port `state`)."
    )
    workflow: str | None = Field(
        default=None,
        description="A workflow file run once per iteration (the state as input `state_port`; "
        "also given `iteration` when the file declares that input).",
    )
    max_iterations: int = Field(
        ge=1,
        le=MAX_ITERATIONS,
        description="Required: the most iterations run, so every run terminates.",
    )
    until: str | None = Field(
        default=None,
        description="Sandboxed expression over the iteration's outputs (by name, and as "
        "`outputs`) and `iteration` (from 1); the loop stops when it holds. "
        "Without it, the loop runs `max_iterations` times.",
    )
    carry: str | None = Field(
        default=None,
        description="The output that becomes the next iteration's state; default: the "
        "template's only output, or all of the workflow's outputs as an object.",
    )
    state_port: str | None = Field(
        default=None,
        description="The template port (default `in`) or child workflow input (default "
        "`state`) that receives the state.",
    )
    on_exhausted: Literal["fail", "last"] = Field(
        default="fail",
        description="When `max_iterations` pass without `until` holding: fail the node, or "
        "go on with the last iteration's results (`converged` false).",
    )

    @model_validator(mode="after")
    def _one_body(self) -> LoopConfig:
        if (self.template is None) == (self.workflow is None):
            raise ValueError("set exactly one of `template` or `workflow`")
        return self

    @property
    def state(self) -> str:
        if self.state_port is not None:
            return self.state_port
        return "in" if self.template is not None else "state"


class LoopKind(NodeKind[LoopConfig]):
    name = "loop"
    description = "Repeat a node or workflow until a condition holds (at most N times)"
    icon = "loop"
    config_model = LoopConfig

    def input_ports(self, config: LoopConfig) -> list[PortSpec]:
        return [PortSpec("in", description="The first iteration's state.")]

    def output_ports(self, config: LoopConfig) -> list[PortSpec]:
        return [
            PortSpec("value", description="The state after the last iteration."),
            PortSpec("outputs", "object", "Every output of the last iteration."),
            PortSpec("iterations", "integer", "How many iterations ran."),
            PortSpec("converged", "boolean", "Whether `until` held."),
        ]

    def check(self, config: LoopConfig, base_dir: Path | None) -> list[str | ConfigProblem]:
        problems: list[str | ConfigProblem] = []
        if config.until is not None and (problem := check_expression(config.until)):
            problems.append(f"until: {problem}")
        if config.workflow is not None:
            found, outputs = check_child_ports(
                config.workflow,
                base_dir,
                (config.state, "the loop's state"),
                ("carry", config.carry),
            )
            problems += found
            if config.until is not None and not problems:
                unknown = expression_names(config.until) - {"outputs", "iteration", *outputs}
                if unknown:
                    problems.append(
                        f"until: {', '.join(sorted(unknown))} is not an output of "
                        f"{config.workflow!r} (its outputs: {', '.join(outputs) or 'none'})"
                    )
        return problems

    def check_nested(
        self, config: LoopConfig, registry: NodeRegistry, base_dir: Path | None
    ) -> list[ConfigProblem]:
        if config.template is None:
            return []
        names = ("state_port", "carry")
        problems = check_template(
            config.template, registry, base_dir, config.state, config.carry, names
        )
        kind = registry.get(config.template.kind)
        if problems or kind is None or config.until is None or check_expression(config.until):
            return problems  # an expression that does not compile is reported by `check`
        outs = {p.name for p in kind.output_ports(kind.parse_config(config.template.config))}
        unknown = expression_names(config.until) - {"outputs", "iteration", *outs}
        if unknown:
            problems.append(
                (
                    ("until",),
                    f"until: {', '.join(sorted(unknown))} is not an output of the template "
                    f"(its outputs: {', '.join(sorted(outs)) or 'none'})",
                )
            )
        return problems

    def is_cacheable(
        self, config: LoopConfig, registry: NodeRegistry, base_dir: Path | None
    ) -> bool:
        if config.workflow is not None:
            return _child_reusable(config.workflow, registry, base_dir, 0)
        if config.template is None:
            return False
        kind = registry.get(config.template.kind)
        if kind is None or kind.name in ("subworkflow", "map", "loop"):
            return False
        try:
            return kind.is_cacheable(kind.parse_config(config.template.config), registry, base_dir)
        except ValueError:
            return False

    def cache_facts(self, config: LoopConfig, base_dir: Path | None) -> dict[str, Any]:
        return {"workflow": _child_digest(config.workflow, base_dir)} if config.workflow else {}

    async def run(self, ctx: NodeContext, config: LoopConfig, inputs: dict[str, Any]) -> NodeResult:
        body = _Body(ctx, config)
        totals = NodeResult({})
        state: Any = inputs.get("in")
        outputs: dict[str, Any] = {}
        converged = False
        start = 1
        done = ctx.checkpoints
        if done:  # a resumed run: continue after the last recorded iteration
            last = done[-1]
            start, state, outputs = last["iteration"] + 1, last["state"], last["outputs"]
            converged = bool(last["converged"])
        iteration = start - 1
        while not converged and iteration < config.max_iterations:
            iteration += 1
            outputs, child_run = await body.run(iteration, state, totals)
            state = body.carry(outputs)
            converged = config.until is not None and _holds(config.until, outputs, iteration)
            ctx.emit(
                LoopIteration,
                {
                    "attempt": ctx.attempt,
                    "iteration": iteration,
                    "outputs": outputs,
                    "state": state,
                    "converged": converged,
                    "child_run_id": child_run,
                },
            )
        if config.until is not None and not converged and config.on_exhausted == "fail":
            raise NodeError(
                f"`until` did not hold after {config.max_iterations} iterations",
                error_class="exhausted",
            )
        totals.outputs = {
            "value": state,
            "outputs": outputs,
            "iterations": iteration,
            "converged": converged,
        }
        return totals


def _holds(until: str, outputs: dict[str, Any], iteration: int) -> bool:
    variables = {**outputs, "outputs": outputs, "iteration": iteration}
    try:
        return bool(evaluate(until, variables))
    except SandboxError as exc:
        raise NodeError(f"until: {exc}", error_class="config") from None


class _Body:
    """One iteration of the loop's template node or child workflow."""

    def __init__(self, ctx: NodeContext, config: LoopConfig) -> None:
        self.ctx, self.config = ctx, config
        if config.workflow is not None:
            if ctx.depth >= MAX_NESTING:
                raise NodeError(
                    f"workflows nest deeper than {MAX_NESTING} levels", error_class="config"
                )
            self.child, self.child_dir = _load_child(config.workflow, ctx.base_dir, ctx.depth)
            self.takes_iteration = any(d.name == "iteration" for d in self.child.inputs)
        else:
            assert config.template is not None
            kind = ctx.registry.get(config.template.kind)
            if kind is None:
                raise NodeError(
                    f"unknown node kind {config.template.kind!r} in loop template",
                    error_class="config",
                )
            try:
                self.template_config = kind.parse_config(config.template.config)
            except ValueError as exc:
                raise NodeError(f"loop template config: {exc}", error_class="config") from None
            self.kind = kind

    async def run(
        self, iteration: int, state: Any, totals: NodeResult
    ) -> tuple[dict[str, Any], str | None]:
        config, ctx = self.config, self.ctx
        if config.workflow is None:
            result = await self.kind.run(ctx, self.template_config, {config.state: state})
            _add(totals, result.prompt_tokens, result.completion_tokens, result.cost_usd)
            return dict(result.outputs), None
        inputs = {config.state: state}
        if self.takes_iteration:
            inputs["iteration"] = iteration
        label = f"{ctx.node_id}[{iteration}]"
        try:
            run = await ctx.run_child(self.child, inputs, self.child_dir, label)
        except RunError as exc:
            raise NodeError(f"iteration {iteration}: {exc}", error_class="validation") from None
        _add(totals, run.prompt_tokens, run.completion_tokens, run.cost_usd)
        if ctx.budget is not None:  # spent by the child run, for this loop's attempt
            ctx.budget.charge(ctx.node_id, run.prompt_tokens, run.completion_tokens, run.cost_usd)
        if run.status == "interrupted":
            raise RunInterrupted(f"iteration {iteration}: child run {run.run_id}: {run.error}")
        if run.status != "succeeded":
            raise NodeError(
                f"iteration {iteration}: child run {run.run_id} {run.status}: {run.error}"
            )
        return dict(run.outputs), run.run_id

    def carry(self, outputs: dict[str, Any]) -> Any:
        name = self.config.carry
        if name is not None:
            return outputs.get(name)
        if self.config.workflow is not None:
            return outputs
        return next(iter(outputs.values()), None) if len(outputs) == 1 else outputs


def _add(totals: NodeResult, prompt: int, completion: int, cost: float) -> None:
    totals.prompt_tokens += prompt
    totals.completion_tokens += completion
    totals.cost_usd += cost
