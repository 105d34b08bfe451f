"""The engine facade: start a run, resume a crashed one, or re-run from a node.

It wires a run's event bus to the store recorder and any subscribers, builds the
scheduler, and turns the outcome into a `RunResult`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import RunError, WorkflowLoadError
from engine.nodes.base import ChildRunResult, NodeRegistry
from engine.nodes.executor import ItemExecutor
from engine.providers.base import ProviderRegistry
from engine.providers.remote.calls import offline_switch
from engine.runtime.approval_gate import ApprovalService, Approver, deny
from engine.runtime.attempts import NodeRunner, Totals
from engine.runtime.execution import Execution, Preset
from engine.runtime.graph import CompiledNode, compile_workflow
from engine.runtime.ownership import RunOwnership
from engine.runtime.recorder import StoreRecorder
from engine.runtime.resume import node_progress, replay, usage_so_far
from engine.store.protocol import RunStore, WorkflowVersion
from engine.trace.events import (
    EventBus,
    NodeCached,
    NodeSucceeded,
    RunEvent,
    RunFinished,
    RunResumed,
    RunStarted,
    Subscriber,
)
from engine.workflow.inputs import resolve_inputs
from engine.workflow.loader import dumps_workflow, loads_workflow, workflow_hash
from engine.workflow.model import Workflow, WorkflowPolicy

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class RunResult:
    run_id: str
    status: str
    outputs: dict[str, Any]
    nodes: dict[str, str]
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    children: list[str] = field(default_factory=list)
    output_states: dict[str, str] = field(default_factory=dict)
    """Per output: succeeded, cached, skipped (its branch was not taken: null in
    `outputs`), or pending (the run failed or paused before it: not in `outputs`)."""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class PreparedWorkflow:
    """A workflow compiled against a registry, with its content hash. Treat the workflow
    as frozen while prepared: edits need a new `Engine.prepare`."""

    workflow: Workflow
    nodes: dict[str, CompiledNode]
    digest: str


def new_run_id() -> str:
    """Time-ordered, unique: milliseconds since the epoch in hex plus 4 random bytes."""
    return f"{int(time.time() * 1000):011x}{secrets.token_hex(4)}"


def child_run_id(parent_run_id: str, label: str) -> str:
    """A child run's id: its parent's, the label of the node (and item) that started it,
    and a random suffix."""
    return f"{parent_run_id}.{label}.{secrets.token_hex(2)}"


def child_label(parent_run_id: str, child_run_id: str) -> str:
    """The node label a child run id carries (see `child_run_id`)."""
    middle = child_run_id.removeprefix(parent_run_id + ".")
    return middle.rsplit(".", 1)[0] if middle != child_run_id else child_run_id


def _refuse_imported(run_id: str, events: Sequence[RunEvent], action: str) -> None:
    """An imported run (someone else's export) is a record to read, never to execute."""
    start = next((e for e in events if isinstance(e, RunStarted)), None)
    if start is not None and start.imported:
        raise RunError(
            f"run {run_id} was imported from an export; an imported run is a record to read "
            f"and compare and cannot be {action}. To run its workflow, save it from the "
            "report, check what it grants, and run that file"
        )


class Engine:
    """Runs workflows. Holds the node registry, providers and store (all passed in)."""

    def __init__(
        self,
        registry: NodeRegistry,
        providers: ProviderRegistry | None = None,
        store: RunStore | None = None,
        *,
        use_cache: bool = True,
        approver: Approver = deny,
        offline: bool | None = None,
        executor: ItemExecutor | None = None,
    ) -> None:
        self.registry = registry
        self.executor = executor
        """Where map items of this engine's runs execute; None: in this process."""
        self.providers = providers or ProviderRegistry()
        self.store = store
        self.use_cache = use_cache
        self.approver = approver
        """Answers approval requests; the default fails closed."""
        self.offline = offline
        """Offline for the runs this engine starts; None: the process's INTERLOCK_OFFLINE,
        read when each run starts. Changing it never affects a run already going."""

    def prepare(self, workflow: Workflow) -> PreparedWorkflow:
        """Compile and content-address a workflow once (like compiling a graph)."""
        return PreparedWorkflow(
            workflow, compile_workflow(workflow, self.registry), workflow_hash(workflow)
        )

    async def run(
        self,
        workflow: Workflow | PreparedWorkflow,
        inputs: dict[str, Any] | None = None,
        *,
        base_dir: Path | None = None,
        workflow_path: str | None = None,
        run_id: str | None = None,
        subscribers: Sequence[Subscriber] = (),
        use_cache: bool | None = None,
        parent_run_id: str | None = None,
        depth: int = 0,
        presets: dict[str, Preset] | None = None,
        source_run_id: str | None = None,
        fresh: frozenset[str] = frozenset(),
        offline: bool | None = None,
    ) -> RunResult:
        """Run a workflow to completion. Raises RunError for bad inputs (nothing recorded).

        Pass a `PreparedWorkflow` (from `prepare`) to skip compiling and hashing when the
        same workflow runs many times."""
        prepared = workflow if isinstance(workflow, PreparedWorkflow) else self.prepare(workflow)
        workflow, nodes, digest = prepared.workflow, prepared.nodes, prepared.digest
        values = resolve_inputs(workflow, inputs or {})
        policy = self._run_policy(workflow, offline)
        run_id = run_id or new_run_id()
        if self.store is not None and self.store.get_workflow(digest) is None:
            self.store.save_workflow(
                WorkflowVersion(
                    digest, workflow.metadata.name, dumps_workflow(workflow), workflow_path
                )
            )
        bus = EventBus(run_id)
        ownership = self._own(run_id)
        try:
            return await self._start(
                bus, subscribers, ownership, workflow, nodes, digest, values, base_dir, depth,
                use_cache, presets or {}, fresh, parent_run_id, source_run_id, workflow_path,
                policy,
            )  # fmt: skip
        finally:
            if ownership is not None:
                ownership.release()

    async def _start(
        self,
        bus: EventBus,
        subscribers: Sequence[Subscriber],
        ownership: RunOwnership | None,
        workflow: Workflow,
        nodes: dict[str, CompiledNode],
        digest: str,
        values: dict[str, Any],
        base_dir: Path | None,
        depth: int,
        use_cache: bool | None,
        presets: dict[str, Preset],
        fresh: frozenset[str],
        parent_run_id: str | None,
        source_run_id: str | None,
        workflow_path: str | None,
        policy: WorkflowPolicy,
    ) -> RunResult:
        with self._recording(bus, subscribers) as recorder:
            bus.emit(
                RunStarted,
                workflow_name=workflow.metadata.name,
                workflow_hash=digest,
                inputs=values,
                node_count=len(nodes),
                parent_run_id=parent_run_id,
                source_run_id=source_run_id,
                workflow_path=workflow_path,
                pid=os.getpid(),
                host=socket.gethostname(),
                offline=policy.offline,
            )
            return await self._execute(
                workflow,
                nodes,
                bus,
                values,
                base_dir,
                depth,
                use_cache,
                presets,
                {},
                fresh=fresh,
                ownership=ownership,
                recorder=recorder,
                policy=policy,
            )

    async def resume(
        self,
        run_id: str,
        *,
        subscribers: Sequence[Subscriber] = (),
        base_dir: Path | None = None,
        force: bool = False,
    ) -> RunResult:
        """Continue a run whose process died (or that failed): finished nodes are kept,
        in-flight and failed nodes run again, event numbering continues."""
        store = self._require_store()
        if store.get_run(run_id) is None:
            raise RunError(f"no run {run_id!r} in the store")
        # Own the run before reading its trace: a second resume is refused here, before
        # it runs anything.
        ownership = RunOwnership(store, run_id)
        ownership.take(force=force)
        try:
            return await self._resume_owned(run_id, ownership, subscribers, base_dir)
        finally:
            ownership.release()

    async def _resume_owned(
        self,
        run_id: str,
        ownership: RunOwnership,
        subscribers: Sequence[Subscriber],
        base_dir: Path | None,
    ) -> RunResult:
        store = self._require_store()
        record = store.get_run(run_id)
        assert record is not None
        events = store.events(run_id)
        _refuse_imported(run_id, events, "resumed")
        if record.status == "succeeded":
            raise RunError(f"run {run_id} already succeeded; nothing to resume")
        workflow = self._stored_workflow(record.workflow_hash)
        presets, attempts, announced = replay(events)
        if base_dir is None and record.workflow_path:
            base_dir = Path(record.workflow_path).parent
        nodes = compile_workflow(workflow, self.registry)
        bus = EventBus(run_id, next_seq=(events[-1].seq + 1) if events else 1)
        policy = self._run_policy(workflow, None)
        with self._recording(bus, subscribers) as recorder:
            bus.emit(
                RunResumed,
                pid=os.getpid(),
                host=socket.gethostname(),
                offline=policy.offline,
                completed_nodes=sorted(presets),
                rerun_nodes=[n for n in nodes if n not in presets],
            )
            return await self._execute(
                workflow,
                nodes,
                bus,
                record.inputs,
                base_dir,
                0,
                None,
                presets,
                attempts,
                announced,
                usage_so_far(events),
                checkpoints=node_progress(events),
                ownership=ownership,
                recorder=recorder,
                policy=policy,
            )

    async def rerun_from(
        self,
        run_id: str,
        node_id: str,
        *,
        subscribers: Sequence[Subscriber] = (),
        workflow: Workflow | None = None,
        base_dir: Path | None = None,
        workflow_path: str | None = None,
    ) -> RunResult:
        """A new run that reuses the results of `run_id` except for `node_id` and
        everything downstream of it, which are recomputed (never served from the cache)."""
        import networkx as nx

        store = self._require_store()
        record = store.get_run(run_id)
        if record is None:
            raise RunError(f"no run {run_id!r} in the store")
        workflow = workflow or self._stored_workflow(record.workflow_hash)
        if node_id not in {n.id for n in workflow.nodes}:
            raise RunError(f"workflow has no node {node_id!r}")
        graph: nx.DiGraph = nx.DiGraph()
        graph.add_edges_from((e.source.node, e.target.node) for e in workflow.edges)
        invalid = {node_id} | (nx.descendants(graph, node_id) if node_id in graph else set())
        presets: dict[str, Preset] = {}
        events = store.events(run_id)
        _refuse_imported(run_id, events, "re-run from a node")
        for event in events:
            nid = event.node_id
            if nid is None or nid in invalid:
                continue
            if isinstance(event, NodeSucceeded | NodeCached):
                presets[nid] = Preset("reuse", "done", event.outputs, source=run_id)
        return await self.run(
            workflow,
            record.inputs,
            base_dir=base_dir,
            subscribers=subscribers,
            presets=presets,
            source_run_id=run_id,
            fresh=frozenset(invalid),
            workflow_path=workflow_path or record.workflow_path,
        )

    # -- internals -------------------------------------------------------------------------

    def _require_store(self) -> RunStore:
        if self.store is None:
            raise RunError("this operation needs a run store")
        return self.store

    def _stored_workflow(self, digest: str) -> Workflow:
        version = self._require_store().get_workflow(digest)
        if version is None:
            raise RunError(f"workflow version {digest[:12]} is missing from the store")
        try:
            return loads_workflow(version.content).workflow
        except WorkflowLoadError as exc:
            raise RunError(f"stored workflow {digest[:12]} no longer loads: {exc}") from None

    def _run_policy(self, workflow: Workflow, offline: bool | None) -> WorkflowPolicy:
        """The policy a run keeps from start to end: the workflow's, with this run's
        offline setting captured now (recorded on run_started/run_resumed)."""
        if offline is None:
            offline = self.offline if self.offline is not None else offline_switch()
        if not offline or workflow.policy.offline:
            return workflow.policy
        return workflow.policy.model_copy(update={"offline": True})

    def _own(self, run_id: str) -> RunOwnership | None:
        if self.store is None:
            return None
        ownership = RunOwnership(self.store, run_id)
        ownership.take()
        return ownership

    def _recording(self, bus: EventBus, subscribers: Sequence[Subscriber]) -> StoreRecorder:
        recorder = StoreRecorder(self.store)
        bus.subscribe(recorder)
        for subscriber in subscribers:
            bus.subscribe(subscriber)
        return recorder

    async def _execute(
        self,
        workflow: Workflow,
        nodes: Any,
        bus: EventBus,
        values: dict[str, Any],
        base_dir: Path | None,
        depth: int,
        use_cache: bool | None,
        presets: dict[str, Preset],
        attempts: dict[str, int],
        announced: set[str] | None = None,
        used_before: Totals | None = None,
        fresh: frozenset[str] = frozenset(),
        checkpoints: dict[str, list[dict[str, Any]]] | None = None,
        ownership: RunOwnership | None = None,
        recorder: StoreRecorder | None = None,
        policy: WorkflowPolicy | None = None,
    ) -> RunResult:
        started = time.monotonic()
        policy = policy or workflow.policy
        children: list[str] = []

        async def run_child(
            child: Workflow, inputs: dict[str, Any], child_dir: Path | None, label: str
        ) -> ChildRunResult:
            result = await self.run(
                child,
                inputs,
                base_dir=child_dir,
                parent_run_id=bus.run_id,
                depth=depth + 1,
                run_id=child_run_id(bus.run_id, label),
                use_cache=use_cache,
                offline=policy.offline,  # a child run keeps its parent's policy
            )
            children.append(result.run_id)
            return ChildRunResult(
                result.run_id,
                result.status,
                result.outputs,
                result.error,
                result.prompt_tokens,
                result.completion_tokens,
                result.cost_usd,
            )

        runner = NodeRunner(
            run_id=bus.run_id,
            bus=bus,
            providers=self.providers,
            registry=self.registry,
            store=self.store,
            use_cache=self.use_cache if use_cache is None else use_cache,
            run_child=run_child,
            base_dir=base_dir,
            depth=depth,
            attempts_so_far=attempts,
            run_inputs=values,
            approvals=ApprovalService(bus, self.store, self.approver, announced),
            policy=policy,
            totals=used_before or Totals(),
            fresh=fresh,
            checkpoints=checkpoints or {},
            executor=self.executor,
        )
        execution = Execution(nodes, bus, runner, policy.max_parallelism, presets)
        if recorder is not None:
            runner.commit = recorder.commit
            recorder.on_error = lambda exc: execution.abort(
                f"the run store could not record the run: {exc}"
            )
        if ownership is not None:
            ownership.keep(execution.abort)
        status, error = "succeeded", None
        try:
            await execution.execute()
            if execution.interrupted:
                status, error = "interrupted", execution.interrupted
            elif execution.failure:
                status, error = "failed", execution.failure
            elif "waiting" in execution.results.values():
                status = "waiting_approval"
            elif missing := [n for n in nodes if n not in execution.results]:
                status, error = "failed", f"nodes never ran: {', '.join(missing)}"
        except asyncio.CancelledError:
            status, error = "cancelled", "run cancelled"
            self._finish(bus, execution, runner, status, error, started)
            raise
        return self._finish(bus, execution, runner, status, error, started, children)

    def _finish(
        self,
        bus: EventBus,
        execution: Execution,
        runner: NodeRunner,
        status: str,
        error: str | None,
        started: float,
        children: list[str] | None = None,
    ) -> RunResult:
        outputs: dict[str, Any] = {}
        output_states: dict[str, str] = {}
        for node_id, compiled in execution.nodes.items():
            if compiled.kind.name != "output":
                continue
            # A skipped output is reported as null, with its state; one the run never
            # reached (it failed or paused first) is only listed in the states.
            name = compiled.config.name or node_id
            state = execution.results.get(node_id, "pending")
            output_states[name] = state
            if state != "pending" and state != "waiting":
                outputs[name] = execution.outputs.get(node_id, {}).get("value")
        duration = time.monotonic() - started
        totals = runner.totals
        # Spend includes calls of nodes that failed (recorded by the budget, not the totals).
        cost = max(totals.cost_usd, runner.budget.spent_usd)
        bus.emit(
            RunFinished,
            status=status,
            outputs=outputs,
            output_states=output_states,
            error=error,
            prompt_tokens=totals.prompt_tokens,
            completion_tokens=totals.completion_tokens,
            cost_usd=cost,
            duration_s=duration,
        )
        return RunResult(
            bus.run_id,
            status,
            outputs,
            dict(execution.results),
            error,
            totals.prompt_tokens,
            totals.completion_tokens,
            cost,
            duration,
            children or [],
            output_states,
        )
