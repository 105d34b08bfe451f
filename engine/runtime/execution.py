"""One run's scheduler: a ready set over the compiled graph (ComfyUI-style counting of
unresolved inputs), branch skipping, join modes and bounded parallelism.

Per-node attempts (retries, timeouts, fallback, cache) live in `attempts.py`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from engine.errors import RunInterrupted
from engine.runtime.graph import CompiledNode
from engine.trace.events import EventBus, NodeQueued

if TYPE_CHECKING:
    from engine.runtime.attempts import NodeRunner

log = logging.getLogger(__name__)

_SKIPPED = object()
_FAILED = object()
"""An input whose source failed with on_error `continue`: a null for ordinary nodes, but
no arrival for a join counting `any` or a quorum."""


@dataclass(frozen=True, slots=True)
class Preset:
    """A node result known before the run starts.

    resume: the node finished before a crash; nothing is emitted again.
    reuse: a re-run from another node copies it; a node_cached event records that.
    """

    mode: Literal["resume", "reuse"]
    state: Literal["done", "skipped"]
    outputs: dict[str, Any] = field(default_factory=dict)
    source: str = ""


@dataclass
class _State:
    unresolved: int
    delivered: dict[str, Any] = field(default_factory=dict)
    """Input values by port, in arrival order."""
    skipped_inputs: int = 0
    started: bool = False
    timer: asyncio.TimerHandle | None = None


class Execution:
    """Schedules the nodes of one run; `node_runner` executes a single node."""

    def __init__(
        self,
        nodes: dict[str, CompiledNode],
        bus: EventBus,
        node_runner: NodeRunner,
        max_parallelism: int,
        presets: dict[str, Preset] | None = None,
    ) -> None:
        self.nodes = nodes
        self.bus = bus
        self.runner = node_runner
        self.slots = asyncio.Semaphore(max_parallelism)
        self.presets = presets or {}
        self.states = {nid: _State(len(c.in_edges)) for nid, c in nodes.items()}
        self.results: dict[str, str] = {}
        """Final state per node: succeeded, failed, skipped, cached."""
        self.outputs: dict[str, dict[str, Any]] = {}
        self.failure: str | None = None
        self.interrupted: str | None = None
        """Why the run stopped as interrupted (a `RunInterrupted` from a node), if it did."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._task_of: dict[str, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()

    async def execute(self) -> None:
        """Run until every reachable node has finished or a node failed the run."""
        for node_id, compiled in self.nodes.items():
            if not compiled.in_edges:
                self._ready(node_id)
        try:
            while self._tasks:
                self._idle.clear()
                await self._idle.wait()
        except asyncio.CancelledError:
            await self.cancel()
            raise

    def abort(self, reason: str) -> None:
        """Stop the run at once: nothing new starts and every running node is cancelled."""
        self.failure = self.failure or reason
        for task in list(self._tasks):
            task.cancel()

    def interrupt(self, reason: str) -> None:
        """Stop the run as interrupted: nothing new starts, running nodes are cancelled, and
        what finished stays finished for `resume`."""
        self.interrupted = self.interrupted or reason
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # -- readiness -------------------------------------------------------------------------

    def _ready(self, node_id: str) -> None:
        state = self.states[node_id]
        if state.started or self.failure is not None or self.interrupted is not None:
            return
        state.started = True
        if state.timer is not None:
            state.timer.cancel()
        preset = self.presets.get(node_id)
        if preset is not None and self._apply_preset(node_id, preset):
            return
        self.bus.emit(NodeQueued, node_id=node_id)
        self._spawn(node_id, state)

    def _spawn(self, node_id: str, state: _State) -> None:
        task = asyncio.get_running_loop().create_task(self._run(node_id, dict(state.delivered)))
        self._tasks.add(task)
        self._task_of[node_id] = task
        task.add_done_callback(self._task_done)
        if self.nodes[node_id].join is not None:
            self._release_inputs(node_id)

    # -- work no longer needed -------------------------------------------------------------

    def _release_inputs(self, node_id: str) -> None:
        """A join started before all its inputs arrived: the branches that feed nothing
        else are no longer needed, so they are cancelled (or never started)."""
        reason = f"no longer needed: join {node_id!r} went ahead without it"
        for edge in self.nodes[node_id].in_edges:
            self._prune(edge.source, reason)

    def _prune(self, node_id: str, reason: str) -> None:
        if node_id in self.results:
            return
        compiled = self.nodes[node_id]
        if not compiled.out_edges:
            return  # a sink: its work is the point
        if any(not self.states[e.target].started for e in compiled.out_edges):
            return  # something that has not started yet may still use it
        state = self.states[node_id]
        self.results[node_id] = "skipped"
        task = self._task_of.get(node_id)
        if state.started and task is not None and not task.done():
            self.runner.released[node_id] = reason
            task.cancel()
        elif not state.started:
            state.started = True
            if state.timer is not None:
                state.timer.cancel()
            self.runner.record_skipped(node_id, reason)
        for edge in compiled.in_edges:
            self._prune(edge.source, reason)

    def _apply_preset(self, node_id: str, preset: Preset) -> bool:
        if preset.state == "skipped":
            if preset.mode == "reuse":
                return False  # re-derive skips in the new run
            self._finish(node_id, None, "skipped")
            return True
        if preset.mode == "reuse":
            self.runner.record_reused(node_id, preset.outputs, preset.source)
        self._finish(node_id, preset.outputs, "cached" if preset.mode == "reuse" else "succeeded")
        return True

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        for node_id, running in list(self._task_of.items()):
            if running is task:
                del self._task_of[node_id]
                if task.cancelled() and node_id in self.runner.released:
                    # Cancelled while queued or between attempts: no attempt recorded it.
                    self.runner.record_skipped(node_id, self.runner.released.pop(node_id))
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("internal error in node task", exc_info=exc)
            self.failure = self.failure or f"internal error: {exc!r}"
        if not self._tasks:
            self._idle.set()

    async def _run(self, node_id: str, inputs: dict[str, Any]) -> None:
        compiled = self.nodes[node_id]
        if self.states[node_id].timer is None and compiled.join and self._join_timed_out(node_id):
            outcome = self.runner.join_timeout(compiled)
        else:
            try:
                async with self.slots:
                    outcome = await self.runner.run(compiled, inputs)
            except RunInterrupted as exc:
                self.interrupt(str(exc))
                return
        if outcome.fail_run:
            self.failure = self.failure or f"node {node_id!r} failed: {outcome.error}"
            self._finish(node_id, None, "failed", propagate=False)
            for task in list(self._tasks):
                if task is not asyncio.current_task():
                    task.cancel()
            return
        if outcome.state == "waiting":
            self.results[node_id] = "waiting"  # paused: downstream stays pending
            return
        self._finish(node_id, outcome.outputs, outcome.state)

    # -- propagation -----------------------------------------------------------------------

    def _finish(
        self, node_id: str, outputs: dict[str, Any] | None, state: str, propagate: bool = True
    ) -> None:
        self.results[node_id] = state
        if outputs is not None:
            self.outputs[node_id] = outputs
        if not propagate:
            return
        for edge in self.nodes[node_id].out_edges:
            if outputs is not None and edge.port in outputs:
                counts = state != "failed" or self.nodes[edge.target].join is None
                value = outputs[edge.port] if counts else _FAILED
                self._resolve(edge.target, edge.target_port, value)
            else:
                self._resolve(edge.target, edge.target_port, _SKIPPED)

    def _resolve(self, node_id: str, port: str, value: Any) -> None:
        state = self.states[node_id]
        state.unresolved -= 1
        rule = self.nodes[node_id].join
        if value is _FAILED and rule is not None and rule.mode == "all":
            value = None  # `all` waits for every input; a failed one gives its null
        if value is _SKIPPED or value is _FAILED:
            state.skipped_inputs += 1
        else:
            state.delivered[port] = value
        if state.started:
            return
        total = len(self.nodes[node_id].in_edges)
        if rule is None:
            if state.unresolved == 0:
                if state.skipped_inputs:
                    self._skip(node_id, "an input was skipped (untaken branch)")
                else:
                    self._ready(node_id)
            return
        need = total if rule.mode == "all" else rule.quorum
        if len(state.delivered) >= need:
            self._ready(node_id)
        elif total - state.skipped_inputs < need:
            self._skip(node_id, f"join can no longer get {need} of its {total} inputs")
        elif rule.timeout_s is not None and state.timer is None and state.delivered:
            loop = asyncio.get_running_loop()
            state.timer = loop.call_later(rule.timeout_s, self._on_join_timeout, node_id)

    def _on_join_timeout(self, node_id: str) -> None:
        state = self.states[node_id]
        if state.started:
            return
        state.timer = None
        state.started = True
        self._spawn(node_id, state)

    def _join_timed_out(self, node_id: str) -> bool:
        compiled = self.nodes[node_id]
        rule = compiled.join
        state = self.states[node_id]
        if rule is None:
            return False
        need = len(compiled.in_edges) if rule.mode == "all" else rule.quorum
        return len(state.delivered) < need

    def _skip(self, node_id: str, reason: str) -> None:
        state = self.states[node_id]
        state.started = True
        if state.timer is not None:
            state.timer.cancel()
        preset = self.presets.get(node_id)
        if not (preset is not None and preset.mode == "resume" and preset.state == "skipped"):
            self.runner.record_skipped(node_id, reason)
        self._finish(node_id, None, "skipped")
