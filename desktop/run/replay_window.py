"""Read-only replay of a stored run: the workflow version it ran on a canvas, node states
and data as they were at a point in the event stream (a scrubber over event seq), the
node's Run details and the trace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from desktop import file_dialogs
from desktop.canvas.node_item import NodeItem
from desktop.canvas.scene import WorkflowScene
from desktop.canvas.view import WorkflowView
from desktop.panels.trace_view import TraceView
from desktop.run.export import FORMAT_NAMES, export_report, file_filter, format_of, with_extension
from desktop.run.node_run_view import NodeRunView
from desktop.run.ops import EngineOp, OpChanges
from desktop.run.overlay import CanvasRunOverlay
from desktop.run.qt import named
from engine.errors import RunError, WorkflowLoadError
from engine.nodes.base import NodeRegistry
from engine.store.protocol import RunRecord, RunStore
from engine.trace.events import RunEvent
from engine.trace.fold import RunState, fold
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import loads_workflow
from engine.workflow.model import Workflow


@dataclass(frozen=True, slots=True)
class StoredRun:
    """What a replay shows of a run, read from the store by `load_stored_run`."""

    record: RunRecord
    workflow: Workflow
    events: list[RunEvent]


def load_stored_run(store: RunStore, run_id: str) -> StoredRun:
    """Read run `run_id`, the workflow version it ran and its events (blocking: call it in
    a worker thread). Raises RunError when any is missing or no longer loads."""
    record = store.get_run(run_id)
    if record is None:
        raise RunError(f"no run {run_id!r} in the store")
    version = store.get_workflow(record.workflow_hash)
    if version is None:
        raise RunError(f"workflow version {record.workflow_hash[:12]} is not in the store")
    try:
        workflow = loads_workflow(version.content).workflow
    except WorkflowLoadError as exc:
        raise RunError(f"the stored workflow no longer loads: {exc}") from None
    return StoredRun(record, workflow, list(store.events(run_id)))


class ReplayWindow(QMainWindow):
    def __init__(
        self,
        store: RunStore,
        stored: StoredRun,
        registry: NodeRegistry,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("replay_window")
        record, workflow = stored.record, stored.workflow
        self.store, self.run_id = store, record.run_id
        run_id = record.run_id
        self.record = record
        self.events = stored.events
        self.workflow = workflow
        self.setWindowTitle(f"Replay — {record.workflow_name} — run {run_id} ({record.status})")
        self.document = WorkflowDocument(workflow)
        self.scene = WorkflowScene(self.document, registry, QUndoStack(self))
        self.view = WorkflowView(self.scene, self)
        self.view.setAcceptDrops(False)
        self._make_read_only()
        self.setCentralWidget(self.view)
        self.overlay = CanvasRunOverlay(self.scene, self)
        self.node_view = NodeRunView()
        self.trace = TraceView()
        self._dock("Run", self.node_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Trace", self.trace, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.slider = named(QSlider(Qt.Orientation.Horizontal), "scrubber")
        self.slider.setRange(0, max(0, len(self.events) - 1))
        self.slider.valueChanged.connect(self.scrub)
        self.position_label = named(QLabel(), "position")
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 2, 6, 2)
        SP = QStyle.StandardPixmap
        for icon, tip, step in (
            (SP.SP_MediaSkipBackward, "First event", -(10**9)),
            (SP.SP_MediaSeekBackward, "Previous event", -1),
            (SP.SP_MediaSeekForward, "Next event", 1),
            (SP.SP_MediaSkipForward, "Last event", 10**9),
        ):
            button = QToolButton()
            button.setIcon(self.style().standardIcon(icon))
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, s=step: self.step(s))
            row.addWidget(button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.position_label)
        export = QToolButton()
        export.setText("Export…")
        export.clicked.connect(self.export)
        row.addWidget(export)
        toolbar = self.addToolBar("Replay")
        toolbar.setObjectName("replay_toolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(bar)
        self.scene.selectionChanged.connect(self._on_selection)
        self.state = RunState()
        self._pos = -1
        self.resize(1280, 820)
        self._fit_on_show = True
        self.scrub(self.slider.maximum())
        if self.slider.value() != self.slider.maximum():
            self.slider.setValue(self.slider.maximum())

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"replay_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)

    def _make_read_only(self) -> None:
        for item in self.scene.node_items.values():
            item.setFlag(NodeItem.GraphicsItemFlag.ItemIsMovable, False)
            for port in [*item.inputs.values(), *item.outputs.values()]:
                port.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    # -- scrubbing -------------------------------------------------------------------------

    def scrub(self, index: int) -> None:
        """Show the run as it was after event number `index` (0-based)."""
        if not self.events:
            self.position_label.setText("no events")
            return
        index = max(0, min(index, len(self.events) - 1))
        if index > self._pos:
            for event in self.events[self._pos + 1 : index + 1]:
                self.state.apply(event)
        elif index < self._pos:
            self.state = fold(self.events[: index + 1])
        self._pos = index
        event = self.events[index]
        now = event.ts
        self.overlay.show_state(self.state, live=False, now=now)
        self.overlay.flush()
        order = [n.id for n in self.workflow.nodes]
        self.trace.set_state(self.state, order, self.workflow.policy.budget.max_cost_usd, now)
        self.node_view.show_node(self.state, self.node_view.node_id, now)
        where = f" {event.node_id}" if event.node_id else ""
        self.position_label.setText(
            f"event {index + 1}/{len(self.events)} · seq {event.seq} · {event.type}{where}"
        )

    def step(self, delta: int) -> None:
        self.slider.setValue(max(0, min(self.slider.maximum(), self.slider.value() + delta)))

    def _on_selection(self) -> None:
        ids = self.scene.selected_node_ids()
        self.node_view.show_node(self.state, ids[0] if len(ids) == 1 else None, self._now())

    def _now(self) -> float | None:
        return self.events[self._pos].ts if 0 <= self._pos < len(self.events) else None

    def export(self) -> None:
        name, chosen = file_dialogs.save_file_name(
            self,
            "Export run",
            f"run-{self.run_id}.html",
            ";;".join(file_filter(fmt) for fmt in FORMAT_NAMES),
        )
        if name:
            fmt = format_of(Path(name), chosen)
            path = with_extension(Path(name), fmt)
            EngineOp.threaded(
                lambda: export_report(self.store, self.run_id, path, fmt), OpChanges()
            ).failure(
                lambda exc: QMessageBox.warning(self, "Export failed", f"{path}\n\n{exc}")
            ).run()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._fit_on_show:  # the view has its real size once the window is laid out
            self._fit_on_show = False
            QTimer.singleShot(0, self.view.zoom_fit)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.overlay.stop()
        self.scene.selectionChanged.disconnect(self._on_selection)
        self.scene.detach()
        super().closeEvent(event)
