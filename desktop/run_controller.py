"""Runs the open workflow through the engine on the session's engine thread: start, stop,
resume, re-run and run-from-a-node. Folds the run's events (through the bridge) into a `RunState`
that the canvas overlay, status bar, inspector Run tab and trace observe."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop.async_loop import spawn
from desktop.bridge import RunEventBridge
from desktop.canvas.scene import WorkflowScene
from desktop.run.ops import OpChanges, op_hub
from desktop.run.overlay import CanvasRunOverlay
from desktop.run.session import EngineSession
from engine.errors import InterlockError
from engine.nodes.base import NodeRegistry
from engine.runtime.approval_gate import Approver, defer
from engine.runtime.engine import Engine, RunResult
from engine.trace.events import RunEvent
from engine.trace.fold import RunState, fold
from engine.workflow.document import WorkflowDocument
from engine.workflow.model import Workflow

if TYPE_CHECKING:
    from engine.cluster.connection import Cluster

log = logging.getLogger(__name__)


class RunController(QObject):
    running_changed = Signal(bool)
    message = Signal(str)
    started = Signal(str)
    """A run (new or resumed) began; its id is known once `run_started` arrives."""
    applied = Signal(object)
    """An event was folded into `state`: the node id it touched, or None."""
    finished = Signal(object)
    """The RunResult, or the exception that stopped the run from starting."""
    session_ready = Signal()
    """The session's warm-up ended: the store is open (unless opening it failed)."""

    def __init__(
        self,
        document: WorkflowDocument,
        scene: WorkflowScene,
        registry: NodeRegistry,
        db_path: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.scene = scene
        self.registry = registry
        self.session = EngineSession(registry, db_path)
        self.bridge = RunEventBridge(self)
        self.bridge.run_event.connect(self._on_event)
        self.state = RunState()
        self.overlay = CanvasRunOverlay(scene, self)
        self.task: asyncio.Task[Any] | None = None
        self.last_result: RunResult | None = None
        self.last_inputs: dict[str, Any] = {}
        self.approver: Approver = defer
        """Answers approvals; the window installs the dialog approver."""
        self.default_parallelism: int | None = None
        """From the settings: used when the workflow sets no `max_parallelism` itself."""
        self._warm_up_started = False
        self.untitled_base: Path | None = None
        """The folder an unsaved document's relative files are found in (an example's)."""
        self.cluster: Cluster | None = None
        """The cluster the current (or last) run sends its map items to; None: here."""
        self.cluster_start: dict[str, int] = {}
        """Items each of its workers had done when the run began."""

    def warm_up(self) -> None:
        """Open the store and providers and prepare the first model load in a background
        thread (the window calls this once it has painted); `session_ready` follows."""
        if self._warm_up_started:
            return
        self._warm_up_started = True
        future = self.session.start_warm_up()
        future.add_done_callback(lambda _: self._warmed_up())

    def _warmed_up(self) -> None:
        """From the warm-up thread; the window (and this controller) may be gone by now
        (a tab closed while its session still warmed up)."""
        if shiboken6.isValid(self):
            self.session_ready.emit()

    @property
    def db_path(self) -> str | None:
        return self.session.db_path

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def last_run_id(self) -> str | None:
        return self.state.run_id or (self.last_result.run_id if self.last_result else None)

    # -- starting runs ---------------------------------------------------------------------

    def base_dir(self) -> Path | None:
        """Where the document's relative files (child workflows, data) are found: its
        file's folder, or for an unsaved copy of an example, the example's folder."""
        path = self.document.path
        return path.parent if path is not None else self.untitled_base

    def start(self, inputs: dict[str, Any]) -> asyncio.Task[Any] | None:
        """Start a run of a snapshot of the document; None if one is already running."""
        workflow, path = self._snapshot(), self.document.path
        self.last_inputs = dict(inputs)
        return self._launch(
            RunState(),
            f"Running {workflow.metadata.name}…",
            lambda engine: engine.run(
                workflow,
                inputs,
                base_dir=self.base_dir(),
                workflow_path=str(path) if path else None,
                subscribers=[self.bridge.publish],
            ),
        )

    def rerun(self) -> asyncio.Task[Any] | None:
        """Run the document again with the last run's inputs."""
        return self.start(self.last_inputs)

    def run_from(self, node_id: str) -> asyncio.Task[Any] | None:
        """A new run reusing the last run's results upstream of `node_id`."""
        run_id = self.last_run_id
        if run_id is None:
            self.message.emit("Run the workflow once before running from a node")
            return None
        workflow, path = self._snapshot(), self.document.path
        return self._launch(
            RunState(),
            f"Running from {node_id}…",
            lambda engine: engine.rerun_from(
                run_id,
                node_id,
                workflow=workflow,
                base_dir=self.base_dir(),
                workflow_path=str(path) if path else None,
                subscribers=[self.bridge.publish],
            ),
        )

    def resume(self, run_id: str) -> asyncio.Task[Any] | None:
        """Continue a crashed, failed or waiting run (its stored events are shown first)."""
        return self._launch(
            RunState(),
            f"Resuming run {run_id}…",
            lambda engine: engine.resume(run_id, subscribers=[self.bridge.publish]),
            shown_first=run_id,
        )

    def forget_last_run(self) -> None:
        """Drop the last run (another workflow is open): an empty state on the canvas, no
        run to re-run or run from. The run itself stays in the store."""
        if self.running:
            return
        self.state, self.last_result, self.last_inputs = RunState(), None, {}
        self.overlay.show_state(self.state, live=False)

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def close(self) -> None:
        self.stop()
        self.overlay.stop()
        self.session.close()

    # -- internals -------------------------------------------------------------------------

    def _snapshot(self) -> Workflow:
        workflow = self.document.snapshot()
        policy = workflow.policy
        if self.default_parallelism and "max_parallelism" not in policy.model_fields_set:
            policy.max_parallelism = self.default_parallelism
        return workflow

    def _launch(
        self,
        state: RunState,
        text: str,
        work: Callable[[Engine], Coroutine[Any, Any, RunResult]],
        shown_first: str | None = None,
    ) -> asyncio.Task[Any] | None:
        if self.running:
            return None
        self.state = state
        self.overlay.show_state(state, live=True)
        began: list[bool] = []

        async def body() -> None:
            began.append(True)
            await self._run(text, work, shown_first)

        task = self.task = spawn(body())
        task.add_done_callback(lambda _: None if began else self._stopped_before_start())
        self.running_changed.emit(True)
        self.started.emit(state.run_id)
        return task

    async def _run(
        self,
        text: str,
        work: Callable[[Engine], Coroutine[Any, Any, RunResult]],
        shown_first: str | None,
    ) -> None:
        self.message.emit(text)
        outcome: RunResult | BaseException
        session = self.session
        try:
            self.warm_up()  # normally started when the window painted
            await session.warm_up()
            if shown_first is not None:  # the stored part of a run being continued
                state = await asyncio.to_thread(lambda: fold(session.store.events(shown_first)))
                self.state = state
                self.overlay.show_state(state, live=True)
            approver = session.gui_approver(self.approver)
            # Where map items go, as the workflow's policy.executor or the config says
            # (connecting to a cluster takes seconds: a thread waits for it).
            stated = self.document.snapshot().policy.executor
            self.cluster = None
            connected = await asyncio.to_thread(session.cluster_for, stated)
            items, self.cluster = connected if connected is not None else (None, None)
            if self.cluster is not None:  # a kept connection: count this run's items
                self.cluster_start = {w.name: w.done for w in self.cluster.workers}
            # On the engine thread: a store write waiting for another process's lock
            # waits there, never on the window's thread.
            result: RunResult = await session.on_engine(
                lambda: work(session.engine(approver, items))
            )
            self.last_result = outcome = result
            self.message.emit(_summary(result))
        except asyncio.CancelledError:
            if not self.state.run_id:  # stopped before the engine began the run
                self.state.status = "cancelled"
            self.message.emit("Run stopped")
            outcome = asyncio.CancelledError()
        except InterlockError as exc:
            self.message.emit(f"Run not started: {exc}")
            outcome = exc
        except Exception as exc:
            log.exception("run crashed")
            self.message.emit(f"Run crashed: {exc}")
            outcome = exc
        finally:
            # the run's events still queued from the engine thread are folded first
            QCoreApplication.sendPostedEvents(self.bridge, 0)
            self.overlay.set_live(False)
            self.running_changed.emit(False)
            op_hub().changed.emit(OpChanges(runs=True, approvals=True))
        self.finished.emit(outcome)

    def _stopped_before_start(self) -> None:
        """The task was cancelled before its first step (Stop right after Run): `_run`
        never ran, so end the run here as it would have."""
        if not self.state.run_id:
            self.state.status = "cancelled"
        self.message.emit("Run stopped")
        self.overlay.set_live(False)
        self.running_changed.emit(False)
        self.finished.emit(asyncio.CancelledError())

    def _on_event(self, event: RunEvent) -> None:
        if self.state.run_id and event.run_id != self.state.run_id:
            return  # a child run's events, or a stale run's
        node_id = self.state.apply(event)
        self.overlay.mark(node_id)
        self.applied.emit(node_id)


def _summary(result: RunResult) -> str:
    text = f"Run {result.run_id} {result.status} in {result.duration_s:.2f}s"
    if result.tokens:
        text += f", {result.tokens} tokens"
    if result.status == "waiting_approval":
        text += " — waiting for approval (see the Approvals panel)"
    if result.error:
        text += f": {result.error}"
    return text
