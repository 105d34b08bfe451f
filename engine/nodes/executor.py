"""Where a map node's items execute: the `ItemExecutor` seam and `LocalItems`, which runs
them in this process (the default). `engine.cluster` adds one that sends items to Ray."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.errors import NodeError
from engine.nodes.base import ChildRunResult, NodeContext, NodeResult

if TYPE_CHECKING:
    from engine.workflow.model import Workflow


class ItemExecutor(Protocol):
    """Runs one map item. The scheduler, events, store and approvals stay with the caller:
    an executor hands back the item's result, and its events through `ctx`."""

    name: str
    """local, ray: recorded with where a map's items ran."""

    async def run_template(
        self, ctx: NodeContext, kind: str, config: dict[str, Any], inputs: dict[str, Any]
    ) -> NodeResult:
        """Run one node of `kind` with `config` on `inputs` (a map's node template)."""
        ...

    async def run_workflow(
        self,
        ctx: NodeContext,
        child: Workflow,
        inputs: dict[str, Any],
        child_dir: Path | None,
        label: str,
    ) -> ChildRunResult:
        """Run `child` to completion as a child run labelled `label`."""
        ...


class LocalItems:
    """Items run in this process, as child runs of the run's own engine."""

    name = "local"

    async def run_template(
        self, ctx: NodeContext, kind: str, config: dict[str, Any], inputs: dict[str, Any]
    ) -> NodeResult:
        found = ctx.registry.get(kind)
        if found is None:
            raise NodeError(f"unknown node kind {kind!r} in map template", error_class="config")
        try:
            parsed = found.parse_config(config)
        except ValueError as exc:
            raise NodeError(f"map template config: {exc}", error_class="config") from None
        return await found.run(ctx, parsed, inputs)

    async def run_workflow(
        self,
        ctx: NodeContext,
        child: Workflow,
        inputs: dict[str, Any],
        child_dir: Path | None,
        label: str,
    ) -> ChildRunResult:
        return await ctx.run_child(child, inputs, child_dir, label)


LOCAL_ITEMS = LocalItems()
