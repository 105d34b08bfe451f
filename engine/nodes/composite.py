"""Node kinds that run other graphs: subworkflow (another workflow file) and map (fan-out
over a list into a node template or a workflow file, bounded parallelism, ordered results)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from engine.errors import NodeError, RunError, RunInterrupted, WorkflowLoadError
from engine.nodes.base import (
    ConfigProblem,
    KindConfig,
    NodeContext,
    NodeKind,
    NodeRegistry,
    NodeResult,
    PortSpec,
)
from engine.nodes.basic import _port_names
from engine.nodes.executor import LOCAL_ITEMS
from engine.trace.events import MapItemDone
from engine.workflow.loader import load_workflow, workflow_hash
from engine.workflow.model import MAX_NESTING, RetryPolicy, Workflow


def child_workflow_path(path: str, base_dir: Path | None) -> Path:
    """Where a child workflow file named in a node's config is: relative to the parent
    workflow's folder (`base_dir`), or to the working folder for an unsaved parent."""
    return (base_dir or Path.cwd()) / path


def _load_child(path: str, base_dir: Path | None, depth: int) -> tuple[Workflow, Path]:
    if depth >= MAX_NESTING:
        raise NodeError(f"workflows nest deeper than {MAX_NESTING} levels", error_class="config")
    full = child_workflow_path(path, base_dir)
    try:
        return load_workflow(full).workflow, full.parent
    except WorkflowLoadError as exc:
        raise NodeError(f"cannot load {full}: {exc}", error_class="config") from None


def check_child_ports(
    path: str,
    base_dir: Path | None,
    receiving: tuple[str, str],
    collected: tuple[str, str | None],
) -> tuple[list[str | ConfigProblem], list[str]]:
    """Problems of a child workflow run per item or iteration, and its output names: the
    file loads, declares the input `receiving[0]` (which gets `receiving[1]`), and has
    the output named by the config key `collected[0]` (value `collected[1]`, if set)."""
    found: list[str | ConfigProblem] = list(_check_child(path, base_dir))
    if found:
        return found, []
    child, _ = _load_child(path, base_dir, 0)
    problems: list[str | ConfigProblem] = []
    declared = [decl.name for decl in child.inputs]
    name, what = receiving
    if name not in declared:
        problems.append(
            f"workflow file {path!r} declares no input {name!r} to receive {what} "
            f"(its inputs: {', '.join(declared) or 'none'})"
        )
    outputs = output_names(child)
    key, wanted = collected
    if wanted is not None and wanted not in outputs:
        problems.append(
            (
                (key,),
                f"workflow file {path!r} has no output {wanted!r} "
                f"(its outputs: {', '.join(outputs) or 'none'})",
            )
        )
    return problems, outputs


def output_names(workflow: Workflow) -> list[str]:
    """The names a workflow's outputs publish."""
    return [
        str(node.config.get("name") or node.id) for node in workflow.nodes if node.kind == "output"
    ]


def _check_child(path: str, base_dir: Path | None) -> list[str]:
    full = child_workflow_path(path, base_dir)
    if not full.is_file():
        return [f"workflow file {path!r} not found (relative to {base_dir or Path.cwd()})"]
    try:
        load_workflow(full)
    except WorkflowLoadError as exc:
        return [f"workflow file {path!r} is invalid: {exc}"]
    return []


PASSTHROUGH = frozenset({"input", "output"})
"""Kinds never cached because it is pointless, not because reuse would be wrong."""


def _child_reusable(path: str, registry: NodeRegistry, base_dir: Path | None, depth: int) -> bool:
    """Whether every node a child workflow runs may be reused (recursively)."""
    try:
        child, child_dir = _load_child(path, base_dir, depth)
    except NodeError:
        return False
    for node in child.nodes:
        if node.kind in PASSTHROUGH:
            continue
        kind = registry.get(node.kind)
        if kind is None:
            return False
        try:
            config = kind.parse_config(node.config)
        except ValueError:
            return False
        if isinstance(kind, SubworkflowKind | MapKind):
            if not kind.reusable(config, registry, child_dir, depth + 1):
                return False
        elif not kind.is_cacheable(config, registry, child_dir):
            return False
    return True


def _child_digest(path: str, base_dir: Path | None, depth: int = 0) -> str:
    """Content hash of a child workflow and, recursively, of every workflow it runs."""
    try:
        child, child_dir = _load_child(path, base_dir, depth)
    except NodeError as exc:
        return f"unloadable:{exc}"
    parts = [workflow_hash(child)]
    for node in child.nodes:
        nested = node.config.get("workflow") if node.kind in ("subworkflow", "map") else None
        if isinstance(nested, str):
            parts.append(_child_digest(nested, child_dir, depth + 1))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def check_template(
    template: NodeTemplate,
    registry: NodeRegistry,
    base_dir: Path | None,
    item_port: str,
    result_port: str | None,
    names: tuple[str, str] = ("item_port", "result_port"),
) -> list[ConfigProblem]:
    """Problems of a node template run per item or iteration: its kind, its config (as
    `validate` checks a node's), the port receiving the item and the port collected."""
    from engine.nodes.base import config_errors

    kind = registry.get(template.kind)
    if kind is None:
        known = ", ".join(registry.names())
        return [(("template", "kind"), f"unknown node kind {template.kind!r} (known: {known})")]
    errors = config_errors(kind, template.config)
    if errors:
        return [(("template", "config", *path), f"template: {msg}") for path, msg in errors]
    config = kind.parse_config(template.config)
    problems: list[ConfigProblem] = []
    for found in kind.check(config, base_dir):
        inside, message = found if isinstance(found, tuple) else ((), found)
        problems.append((("template", "config", *inside), f"template: {message}"))
    ins = [p.name for p in kind.input_ports(config)]
    if item_port not in ins:
        problems.append(
            (
                (names[0],) if names[0] else ("template",),
                f"template kind {template.kind!r} has no input port {item_port!r} "
                f"(its inputs: {', '.join(ins) or 'none'})",
            )
        )
    outs = [p.name for p in kind.output_ports(config)]
    if result_port is not None and result_port not in outs:
        problems.append(
            (
                (names[1],),
                f"template kind {template.kind!r} has no output port {result_port!r} "
                f"(its outputs: {', '.join(outs) or 'none'})",
            )
        )
    return problems


def check_retry_classes(retry: RetryPolicy, path: tuple[str, ...]) -> list[ConfigProblem]:
    from engine.errors import RETRY_CLASSES

    return [
        ((*path, "retry_on", k), f"retry_on {name!r} is not an error class")
        for k, name in enumerate(retry.retry_on)
        if name not in RETRY_CLASSES
    ]


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

    def is_cacheable(
        self, config: SubworkflowConfig, registry: NodeRegistry, base_dir: Path | None
    ) -> bool:
        return self.reusable(config, registry, base_dir, 0)

    def reusable(
        self, config: SubworkflowConfig, registry: NodeRegistry, base_dir: Path | None, depth: int
    ) -> bool:
        return _child_reusable(config.workflow, registry, base_dir, depth)

    def cache_facts(self, config: SubworkflowConfig, base_dir: Path | None) -> dict[str, Any]:
        return {"workflow": _child_digest(config.workflow, base_dir)}

    async def run(
        self, ctx: NodeContext, config: SubworkflowConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        child, child_dir = _load_child(config.workflow, ctx.base_dir, ctx.depth)
        result = await ctx.run_child(child, dict(inputs), child_dir, ctx.node_id)
        if ctx.budget is not None:  # what the child spent is this attempt's, even if it failed
            ctx.budget.charge(
                ctx.node_id, result.prompt_tokens, result.completion_tokens, result.cost_usd
            )
        if result.status == "interrupted":
            raise RunInterrupted(f"subworkflow run {result.run_id}: {result.error}")
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
    kind: str = Field(description="The node kind run for each item.")
    config: dict[str, Any] = Field(default_factory=dict, description="That kind's config.")


class ItemPolicy(KindConfig):
    """What happens when one item fails."""

    retry: RetryPolicy = Field(
        default_factory=RetryPolicy, description="Retries of a failing item, on its own."
    )
    on_error: Literal["fail", "continue", "collect"] = Field(
        default="fail",
        description="fail: the map fails and its other items are cancelled; continue: null "
        "in the failed item's place; collect: failed items left out of `results` and "
        "listed on the `errors` port as {index, item, error, error_class}.",
    )


class MapConfig(KindConfig):
    template: NodeTemplate | None = Field(
        default=None, description="A node run once per item (item on port `item_port`)."
    )
    workflow: str | None = Field(
        default=None,
        description="A workflow file run once per item (item as input `item_port`).",
    )
    item_port: str | None = Field(
        default=None,
        description="Template input port (default `in`) or child workflow input "
        "(default `item`) that receives the item.",
    )
    result_port: str | None = Field(
        default=None, description="Template output port (or child output) to collect."
    )
    max_parallelism: int = Field(default=4, ge=1, le=256)
    item_policy: ItemPolicy = Field(
        default_factory=ItemPolicy, description="Retry and error handling per item."
    )

    @model_validator(mode="after")
    def _one_body(self) -> MapConfig:
        if (self.template is None) == (self.workflow is None):
            raise ValueError("set exactly one of `template` or `workflow`")
        return self

    @property
    def item_input(self) -> str:
        """Where each item goes: the template's port or the child workflow's input."""
        if self.item_port is not None:
            return self.item_port
        return "in" if self.template is not None else "item"


class MapKind(NodeKind[MapConfig]):
    name = "map"
    description = "Run a node or workflow for every item of a list"
    icon = "map"
    config_model = MapConfig

    def input_ports(self, config: MapConfig) -> list[PortSpec]:
        return [PortSpec("items", "array")]

    def output_ports(self, config: MapConfig) -> list[PortSpec]:
        ports = [PortSpec("results", "array")]
        if config.item_policy.on_error == "collect":
            ports.append(PortSpec("errors", "array", "Failed items: {index, item, error}."))
        return ports

    def is_cacheable(
        self, config: MapConfig, registry: NodeRegistry, base_dir: Path | None
    ) -> bool:
        return self.reusable(config, registry, base_dir, 0)

    def reusable(
        self, config: MapConfig, registry: NodeRegistry, base_dir: Path | None, depth: int
    ) -> bool:
        if config.workflow is not None:
            return _child_reusable(config.workflow, registry, base_dir, depth)
        assert config.template is not None
        kind = registry.get(config.template.kind)
        if kind is None:
            return False
        try:
            template = kind.parse_config(config.template.config)
        except ValueError:
            return False
        if isinstance(kind, SubworkflowKind | MapKind):
            return kind.reusable(template, registry, base_dir, depth + 1)
        return kind.is_cacheable(template, registry, base_dir)

    def cache_facts(self, config: MapConfig, base_dir: Path | None) -> dict[str, Any]:
        if config.workflow is None:
            return {}
        return {"workflow": _child_digest(config.workflow, base_dir)}

    def check(self, config: MapConfig, base_dir: Path | None) -> list[str | ConfigProblem]:
        problems: list[str | ConfigProblem] = [
            *check_retry_classes(config.item_policy.retry, ("item_policy", "retry"))
        ]
        if config.workflow is None:
            return problems
        found, _ = check_child_ports(
            config.workflow,
            base_dir,
            (config.item_input, "each item"),
            ("result_port", config.result_port),
        )
        return [*problems, *found]

    def check_nested(
        self, config: MapConfig, registry: NodeRegistry, base_dir: Path | None
    ) -> list[ConfigProblem]:
        if config.template is None:
            return []
        return check_template(
            config.template, registry, base_dir, config.item_input, config.result_port
        )

    async def run(self, ctx: NodeContext, config: MapConfig, inputs: dict[str, Any]) -> NodeResult:
        items = inputs.get("items")
        if not isinstance(items, list):
            raise NodeError(f"map needs a list on `items`, got {type(items).__name__}")
        limit = asyncio.Semaphore(config.max_parallelism)
        items_on = ctx.executor or LOCAL_ITEMS
        totals = NodeResult({})
        policy = config.item_policy
        # A resumed run: items its last attempt finished are kept, with their usage when
        # no end event of that attempt counted it yet.
        kept: dict[int, tuple[bool, Any]] = {}
        for entry in ctx.checkpoints:
            if 0 <= entry["index"] < len(items):
                kept[entry["index"]] = (entry["ok"], entry["value"])
                if not entry.get("counted"):
                    totals.prompt_tokens += entry["prompt_tokens"]
                    totals.completion_tokens += entry["completion_tokens"]
                    totals.cost_usd += entry["cost_usd"]
        if kept:
            ctx.log(
                "info", f"resumed: {len(kept)} of {len(items)} items were done; running the rest"
            )
        if config.workflow is not None:
            child, child_dir = _load_child(config.workflow, ctx.base_dir, ctx.depth)

        async def attempt(index: int, item: Any, used: NodeResult) -> Any:
            """One try of one item; what it used is added to `used`."""
            if config.template is not None:
                result = await items_on.run_template(
                    ctx, config.template.kind, config.template.config, {config.item_input: item}
                )
                used.prompt_tokens += result.prompt_tokens
                used.completion_tokens += result.completion_tokens
                used.cost_usd += result.cost_usd
                used.worker = result.worker
                port = config.result_port or next(iter(result.outputs), None)
                return result.outputs.get(port) if port else None
            label = f"{ctx.node_id}[{index}]"
            try:
                run = await items_on.run_workflow(
                    ctx, child, {config.item_input: item}, child_dir, label
                )
            except RunError as exc:  # the item does not fit the child's inputs
                raise NodeError(str(exc), error_class="validation") from None
            used.prompt_tokens += run.prompt_tokens
            used.completion_tokens += run.completion_tokens
            used.cost_usd += run.cost_usd
            used.worker = run.worker
            if ctx.budget is not None:  # spent by the child run, for this map's attempt
                ctx.budget.charge(
                    ctx.node_id, run.prompt_tokens, run.completion_tokens, run.cost_usd
                )
            if run.status == "interrupted":
                raise RunInterrupted(f"child run {run.run_id}: {run.error}")
            if run.status != "succeeded":
                raise NodeError(f"child run {run.run_id} {run.status}: {run.error}")
            return run.outputs.get(config.result_port) if config.result_port else run.outputs

        stopping = False

        async def one(index: int, item: Any) -> tuple[bool, Any]:
            """(succeeded, result or error record) of one item, after its retries, recorded
            as a `map_item` event (a resume keeps it)."""
            if index in kept:
                return kept[index]
            used = NodeResult({})
            try:
                outcome = await tries(index, item, used)
            finally:
                totals.prompt_tokens += used.prompt_tokens
                totals.completion_tokens += used.completion_tokens
                totals.cost_usd += used.cost_usd
            ctx.emit(
                MapItemDone,
                {
                    "attempt": ctx.attempt,
                    "index": index,
                    "ok": outcome[0],
                    "value": outcome[1],
                    "prompt_tokens": used.prompt_tokens,
                    "completion_tokens": used.completion_tokens,
                    "cost_usd": used.cost_usd,
                    "worker": used.worker,
                },
            )
            return outcome

        async def tries(index: int, item: Any, used: NodeResult) -> tuple[bool, Any]:
            nonlocal stopping
            async with limit:
                for n in range(1, policy.retry.max_attempts + 1):
                    if stopping:  # another item failed the map: start nothing new
                        raise asyncio.CancelledError
                    try:
                        return True, await attempt(index, item, used)
                    except NodeError as exc:
                        error = exc
                    if n == policy.retry.max_attempts or not policy.retry.retries(
                        error.error_class
                    ):
                        break
                    delay = policy.retry.delay(n)
                    if error.retry_after_s is not None:  # the service's own Retry-After
                        delay = min(policy.retry.max_delay_s, max(delay, error.retry_after_s))
                    ctx.log(
                        "warning",
                        f"item {index}: attempt {n} failed ({error.error_class}): {error}; "
                        f"retrying in {delay:.2f}s",
                    )
                    await asyncio.sleep(delay)
            if policy.on_error == "fail":
                stopping = True
                raise NodeError(f"item {index}: {error}", error_class=error.error_class)
            ctx.log("warning", f"item {index} failed ({error.error_class}): {error}")
            record = {
                "index": index,
                "item": item,
                "error": str(error),
                "error_class": error.error_class,
            }
            return False, record

        try:
            # A failing item cancels the others at once: no calls or writes after the failure.
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(i, item)) for i, item in enumerate(items)]
        except ExceptionGroup as group:  # one error is reported, not a group
            errors = group.exceptions
            lost = next((e for e in errors if isinstance(e, RunInterrupted)), None)
            if lost is not None:  # the items' cluster is gone: the run stops, nothing failed
                raise lost from None
            first = next((e for e in errors if isinstance(e, NodeError)), None)
            if first is not None:
                raise NodeError(f"map failed: {first}", error_class=first.error_class) from None
            raise errors[0] from None  # a bug in an item's kind
        outcomes = [task.result() for task in tasks]
        if policy.on_error == "collect":
            totals.outputs = {
                "results": [value for ok, value in outcomes if ok],
                "errors": [value for ok, value in outcomes if not ok],
            }
        else:
            totals.outputs = {"results": [value if ok else None for ok, value in outcomes]}
        return totals
