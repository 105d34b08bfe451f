"""`RayRuns`: the run executor that sends whole runs (the rows of a batch or of an
evaluation) to cluster workers and records each in the coordinator's store as if it had
run here. Runs that must stay with governance (approvals, tools, agents, routed models)
run here, on the caller's engine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.cluster.executor import RayItems
from engine.cluster.placement import Placement, place_workflow
from engine.cluster.worker import WorkflowItem
from engine.errors import RunError
from engine.providers.remote.calls import offline_switch
from engine.runtime.engine import Engine, PreparedWorkflow, RunResult, new_run_id
from engine.runtime.run_executor import LOCAL_RUNS
from engine.trace.events import RunStarted, Subscriber
from engine.workflow.model import Workflow


class RayRuns:
    """Runs whole runs on the cluster `items` sends map items to."""

    name = "ray"

    def __init__(self, items: RayItems) -> None:
        self.items = items
        self._placements: dict[int, Placement] = {}

    @property
    def at_once(self) -> int:
        """Every live worker's in-flight slots: the connection holds any more back."""
        cluster = self.items.cluster
        return max(1, len(cluster.live) * cluster.in_flight)

    def placement(self, engine: Engine, workflow: Workflow, base_dir: Path | None) -> Placement:
        """Where runs of `workflow` go, decided once per workflow object."""
        found = self._placements.get(id(workflow))
        if found is None:
            found = place_workflow(
                workflow, base_dir, engine.registry, self.items.checksum,
                self.items.endpoints.serving,
            )  # fmt: skip
            self._placements[id(workflow)] = found
        return found

    async def run(
        self,
        engine: Engine,
        workflow: Workflow | PreparedWorkflow,
        inputs: dict[str, Any],
        *,
        base_dir: Path | None,
        workflow_path: str | None,
        subscribers: Sequence[Subscriber] = (),
    ) -> RunResult:
        plain = workflow.workflow if isinstance(workflow, PreparedWorkflow) else workflow
        placed = self.placement(engine, plain, base_dir)
        store = engine.store
        if not placed.remote or store is None:
            return await LOCAL_RUNS.run(
                engine,
                workflow,
                inputs,
                base_dir=base_dir,
                workflow_path=workflow_path,
                subscribers=subscribers,
            )
        offline = engine.offline if engine.offline is not None else offline_switch()
        offline = offline or plain.policy.offline
        item = WorkflowItem(
            plain, str(base_dir) if base_dir is not None else None, inputs, new_run_id(),
            None, 0, offline, placed.models,
            () if offline else self.items.endpoints.calls(placed.endpoints),
        )  # fmt: skip
        reply = await self.items.cluster.call("run_workflow", item, _no_line)
        if reply.run is None:  # refused (a missing model) or the inputs do not fit
            raise RunError(reply.error or f"worker {reply.worker} did not run it")
        for version in reply.workflows:
            if store.get_workflow(version.hash) is None:
                store.save_workflow(version)
        for event in reply.events:
            if isinstance(event, RunStarted) and event.run_id == item.run_id:
                event.workflow_path = workflow_path  # where the coordinator found it
        store.append_events(reply.events)
        for event in reply.events:
            for subscriber in subscribers:
                subscriber(event)
        return reply.run


def _no_line(level: str, message: str) -> None:
    """A lost attempt of a whole run is logged by the connection; no node to log it on."""
