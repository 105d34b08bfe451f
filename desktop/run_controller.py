"""Runs the open workflow through the engine on the qasync loop and paints node states
on the canvas as run events arrive through the bridge."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.async_loop import spawn
from desktop.bridge import RunEventBridge
from desktop.canvas.scene import WorkflowScene
from engine.errors import InterlockError
from engine.nodes.base import NodeRegistry
from engine.providers.base import ProviderRegistry
from engine.runtime.engine import Engine, RunResult
from engine.runtime.events import (
    NodeCached,
    NodeFailed,
    NodeQueued,
    NodeRetrying,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    RunEvent,
    RunFinished,
)
from engine.store.protocol import RunStore
from engine.workflow.document import WorkflowDocument

log = logging.getLogger(__name__)

EVENT_STATES: dict[type[RunEvent], str] = {
    NodeQueued: "queued",
    NodeStarted: "running",
    NodeRetrying: "running",
    NodeSucceeded: "succeeded",
    NodeCached: "cached",
    NodeFailed: "failed",
    NodeSkipped: "skipped",
}


class RunController(QObject):
    running_changed = Signal(bool)
    message = Signal(str)
    finished = Signal(object)
    """The RunResult, or the exception that stopped the run from starting."""

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
        self.db_path = db_path
        self.bridge = RunEventBridge(self)
        self.bridge.run_event.connect(self._on_event)
        self.task: asyncio.Task[Any] | None = None
        self.last_result: RunResult | None = None
        self._store: RunStore | None = None
        self._providers: ProviderRegistry | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, inputs: dict[str, Any]) -> asyncio.Task[Any] | None:
        """Start a run of a snapshot of the document; None if one is already running."""
        if self.running:
            return None
        self.scene.clear_run_states()
        self.task = spawn(self._run(inputs))
        self.running_changed.emit(True)
        return self.task

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def close(self) -> None:
        self.stop()
        if self._store is not None:
            closer = getattr(self._store, "close", None)
            if callable(closer):
                closer()
            self._store = None

    def _engine(self) -> Engine:
        if self._store is None:
            from engine.store import open_store

            self._store = open_store(self.db_path)
        if self._providers is None:
            from engine.cli.commands import default_providers

            self._providers = default_providers()
        return Engine(self.registry, self._providers, self._store)

    async def _run(self, inputs: dict[str, Any]) -> None:
        workflow = self.document.snapshot()
        path = self.document.path
        self.message.emit(f"Running {workflow.metadata.name}…")
        outcome: RunResult | BaseException
        try:
            outcome = await self._engine().run(
                workflow,
                inputs,
                base_dir=path.parent if path else None,
                workflow_path=str(path) if path else None,
                subscribers=[self.bridge.publish],
            )
            self.last_result = outcome
            self.message.emit(_summary(outcome))
        except asyncio.CancelledError:
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
            self.running_changed.emit(False)
        self.finished.emit(outcome)

    def _on_event(self, event: RunEvent) -> None:
        state = EVENT_STATES.get(type(event))
        if state is not None and event.node_id is not None:
            self.scene.set_run_state(event.node_id, state)
        elif isinstance(event, RunFinished):
            log.debug("run %s finished: %s", event.run_id, event.status)


def _summary(result: RunResult) -> str:
    text = f"Run {result.run_id} {result.status} in {result.duration_s:.2f}s"
    if result.tokens:
        text += f", {result.tokens} tokens"
    if result.error:
        text += f": {result.error}"
    return text
