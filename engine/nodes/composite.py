"""Node kinds that run other graphs: subworkflow (another workflow file) and map (fan-out
over a list into a node template or a workflow file, bounded parallelism, ordered results)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from engine.errors import NodeError, WorkflowLoadError
from engine.nodes.base import KindConfig, NodeContext, NodeKind, NodeResult, PortSpec
from engine.nodes.basic import _port_names
from engine.workflow.loader import load_workflow
from engine.workflow.model import Workflow

MAX_DEPTH = 8


def _load_child(path: str, base_dir: Path | None, depth: int) -> tuple[Workflow, Path]:
    if depth >= MAX_DEPTH:
        raise NodeError(f"workflows nest deeper than {MAX_DEPTH} levels", error_class="config")
    full = (base_dir or Path.cwd()) / path
    try:
        return load_workflow(full).workflow, full.parent
    except WorkflowLoadError as exc:
        raise NodeError(f"cannot load {full}: {exc}", error_class="config") from None


def _check_child(path: str, base_dir: Path | None) -> list[str]:
    full = (base_dir or Path.cwd()) / path
    if not full.is_file():
        return [f"workflow file {path!r} not found (relative to {base_dir or Path.cwd()})"]
    try:
        load_workflow(full)
    except WorkflowLoadError as exc:
        return [f"workflow file {path!r} is invalid: {exc}"]
    return []


class SubworkflowConfig(KindConfig):
    workflow: str = Field(description="Path of the workflow file, relative to this one.")
    inputs: list[str] = Field(default_factory=list, description="Ports passed as child inputs.")
    outputs: list[str] = Field(
        default_factory=list, description="Child outputs exposed as their own ports."
    )

    _check_inputs = field_validator("inputs", "outputs")(_port_names)


class SubworkflowKind(NodeKind[SubworkflowConfig]):
    name = "subworkflow"
    description = "Run another workflow file as one step"
    icon = "subworkflow"
    config_model = SubworkflowConfig

    def input_ports(self, config: SubworkflowConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: SubworkflowConfig) -> list[PortSpec]:
        named = [PortSpec(name) for name in config.outputs if name != "outputs"]
        return [PortSpec("outputs", "object"), *named]

    def check(self, config: SubworkflowConfig, base_dir: Path | None) -> list[str]:
        return _check_child(config.workflow, base_dir)

    async def run(
        self, ctx: NodeContext, config: SubworkflowConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        child, child_dir = _load_child(config.workflow, ctx.base_dir, ctx.depth)
        result = await ctx.run_child(child, dict(inputs), child_dir, ctx.node_id)
        if result.status != "succeeded":
            raise NodeError(f"subworkflow run {result.run_id} {result.status}: {result.error}")
        outputs: dict[str, Any] = {"outputs": result.outputs}
        for name in config.outputs:
            outputs[name] = result.outputs.get(name)
        return NodeResult(
            outputs,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            cost_usd=result.cost_usd,
        )


class NodeTemplate(KindConfig):
    kind: str
    config: dict[str, Any] = Field(default_factory=dict)


class MapConfig(KindConfig):
    template: NodeTemplate | None = Field(
        default=None, description="A node run once per item (item on port `item_port`)."
    )
    workflow: str | None = Field(
        default=None, description="A workflow file run once per item (item as input `item`)."
    )
    item_port: str = Field(default="in", description="Template input port / child input name.")
    result_port: str | None = Field(
        default=None, description="Template output port (or child output) to collect."
    )
    max_parallelism: int = Field(default=4, ge=1, le=256)

    @model_validator(mode="after")
    def _one_body(self) -> MapConfig:
        if (self.template is None) == (self.workflow is None):
            raise ValueError("set exactly one of `template` or `workflow`")
        return self


class MapKind(NodeKind[MapConfig]):
    name = "map"
    description = "Run a node or workflow for every item of a list"
    icon = "map"
    config_model = MapConfig

    def input_ports(self, config: MapConfig) -> list[PortSpec]:
        return [PortSpec("items", "array")]

    def output_ports(self, config: MapConfig) -> list[PortSpec]:
        return [PortSpec("results", "array")]

    def check(self, config: MapConfig, base_dir: Path | None) -> list[str]:
        if config.workflow is not None:
            return _check_child(config.workflow, base_dir)
        return []

    async def run(self, ctx: NodeContext, config: MapConfig, inputs: dict[str, Any]) -> NodeResult:
        items = inputs.get("items")
        if not isinstance(items, list):
            raise NodeError(f"map needs a list on `items`, got {type(items).__name__}")
        limit = asyncio.Semaphore(config.max_parallelism)
        totals = NodeResult({})
        if config.workflow is not None:
            child, child_dir = _load_child(config.workflow, ctx.base_dir, ctx.depth)

        async def one(index: int, item: Any) -> Any:
            async with limit:
                if config.template is not None:
                    result = await self._run_template(ctx, config, config.template, item)
                    totals.prompt_tokens += result.prompt_tokens
                    totals.completion_tokens += result.completion_tokens
                    totals.cost_usd += result.cost_usd
                    port = config.result_port or next(iter(result.outputs), None)
                    return result.outputs.get(port) if port else None
                label = f"{ctx.node_id}[{index}]"
                run = await ctx.run_child(child, {config.item_port: item}, child_dir, label)
                if run.status != "succeeded":
                    raise NodeError(
                        f"item {index}: child run {run.run_id} {run.status}: {run.error}"
                    )
                totals.prompt_tokens += run.prompt_tokens
                totals.completion_tokens += run.completion_tokens
                totals.cost_usd += run.cost_usd
                return run.outputs.get(config.result_port) if config.result_port else run.outputs

        try:
            results = await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
        except NodeError as exc:
            raise NodeError(f"map failed: {exc}", error_class=exc.error_class) from None
        totals.outputs = {"results": list(results)}
        return totals

    async def _run_template(
        self, ctx: NodeContext, config: MapConfig, template: NodeTemplate, item: Any
    ) -> NodeResult:
        kind = ctx.registry.get(template.kind)
        if kind is None:
            raise NodeError(
                f"unknown node kind {template.kind!r} in map template", error_class="config"
            )
        try:
            parsed = kind.parse_config(template.config)
        except ValueError as exc:
            raise NodeError(f"map template config: {exc}", error_class="config") from None
        return await kind.run(ctx, parsed, {config.item_port: item})
