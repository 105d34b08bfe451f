"""`RayItems`: the item executor that sends a map's items to cluster workers and records
what they did on the coordinator as if they had run here (one event stream, one store).
Items that must stay with governance run here through `LocalItems`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.cluster.connection import Cluster
from engine.cluster.endpoints import CoordinatorEndpoints
from engine.cluster.placement import ModelChecksum, Placement, place_template, place_workflow
from engine.cluster.worker import ItemReply, TemplateItem, WorkflowItem
from engine.errors import NodeError, RunError
from engine.nodes.base import ChildRunResult, NodeContext, NodeResult
from engine.nodes.executor import LOCAL_ITEMS
from engine.runtime.engine import child_run_id
from engine.store.protocol import RunStore
from engine.workflow.model import Workflow


class RayItems:
    """Runs map items on a `Cluster`; needs the coordinator's store to record child runs."""

    name = "ray"

    def __init__(
        self,
        cluster: Cluster,
        store: RunStore | None,
        checksum: ModelChecksum,
        endpoints: CoordinatorEndpoints | None = None,
    ) -> None:
        self.cluster = cluster
        self.store = store
        self.checksum = checksum
        self.endpoints = endpoints or CoordinatorEndpoints()
        """Remote endpoints items may call from workers (keys passed per item)."""
        self._placements: dict[tuple[str, str], Placement] = {}

    def placement(self, ctx: NodeContext, decide: Callable[[], Placement]) -> Placement:
        """Where this map node's items run: decided from its config before its first item
        and recorded once on its log, with the reason."""
        key = (ctx.run_id, ctx.node_id)
        found = self._placements.get(key)
        if found is None:
            found = decide()
            policy = ctx.policy
            if found.endpoints and (policy.budget.max_cost_usd is not None or policy.offline):
                found = Placement(
                    False,
                    "its items call a remote endpoint under the run's cost budget or offline "
                    "switch: they are kept on the coordinator",
                )
            self._placements[key] = found
            where = (
                f"the cluster at {self.cluster.address} ({len(self.cluster.live)} workers)"
                if found.remote
                else "the coordinator"
            )
            ctx.log("info", f"map items run on {where}: {found.reason}")
        return found

    async def run_template(
        self, ctx: NodeContext, kind: str, config: dict[str, Any], inputs: dict[str, Any]
    ) -> NodeResult:
        placed = self.placement(
            ctx,
            lambda: place_template(
                kind, config, ctx.registry, self.checksum, self.endpoints.serving
            ),
        )
        if not placed.remote:
            return await LOCAL_ITEMS.run_template(ctx, kind, config, inputs)
        # Only an input node reads the run's inputs, which may hold every item of the map.
        run_inputs = ctx.run_inputs if kind == "input" else {}
        item = TemplateItem(
            kind, config, inputs, ctx.run_id, ctx.node_id, ctx.attempt, ctx.depth, ctx.policy,
            run_inputs, placed.models, self.endpoints.calls(placed.endpoints),
        )  # fmt: skip
        reply = await self.cluster.call("run_template", item, ctx.log)
        for call in reply.calls:  # what the item emitted, in order, on this run's stream
            if call[0] == "log":
                ctx.log(call[1], call[2])
            elif call[0] == "token":
                ctx.emit_token(call[1])
            else:
                ctx.emit(call[1], call[2])
        _raise_refused(reply)
        if ctx.budget is not None:  # as the item's calls would be, had they run here
            ctx.budget.charge(
                ctx.node_id, reply.prompt_tokens, reply.completion_tokens, reply.cost_usd
            )
        if reply.error is not None:
            raise NodeError(reply.error, error_class=reply.error_class)
        return NodeResult(
            reply.outputs,
            reply.model,
            reply.provider,
            reply.prompt_tokens,
            reply.completion_tokens,
            reply.cost_usd,
            reply.worker,
        )

    async def run_workflow(
        self,
        ctx: NodeContext,
        child: Workflow,
        inputs: dict[str, Any],
        child_dir: Path | None,
        label: str,
    ) -> ChildRunResult:
        placed = self.placement(
            ctx,
            lambda: place_workflow(
                child, child_dir, ctx.registry, self.checksum, self.endpoints.serving
            ),
        )
        if not placed.remote:
            return await LOCAL_ITEMS.run_workflow(ctx, child, inputs, child_dir, label)
        run_id = child_run_id(ctx.run_id, label)
        item = WorkflowItem(
            child, str(child_dir) if child_dir is not None else None, inputs, run_id,
            ctx.run_id, ctx.depth + 1, ctx.policy.offline, placed.models,
            self.endpoints.calls(placed.endpoints),
        )  # fmt: skip
        reply = await self.cluster.call("run_workflow", item, ctx.log)
        _raise_refused(reply)
        if reply.error is not None and not reply.events:  # refused before it started
            raise RunError(reply.error)
        if self.store is not None:
            for version in reply.workflows:
                if self.store.get_workflow(version.hash) is None:
                    self.store.save_workflow(version)
            self.store.append_events(reply.events)
        return ChildRunResult(
            run_id,
            reply.status,
            reply.outputs,
            reply.error,
            reply.prompt_tokens,
            reply.completion_tokens,
            reply.cost_usd,
            reply.worker,
        )


def _raise_refused(reply: ItemReply) -> None:
    if reply.error_class == "refused":
        raise NodeError(reply.error or "refused", error_class="config")
