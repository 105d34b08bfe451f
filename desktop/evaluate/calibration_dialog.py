"""Calibrate routing…: pick an llm node of the evaluated workflow, a quality target and a
ladder, run each rung alone over the dataset (as an evaluation, with progress), read the
frontier, and apply the chosen route (or the selected frontier row's) to the open workflow
as one undoable edit. Nothing is saved: the user sees the workflow modified and saves it
(routing learns nothing silently)."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.canvas.commands import SetConfigCommand
from desktop.evaluate.calibration_setup import (
    CalibrationSetup,
    CalibrationSource,
    WorkflowEditor,
    calibrated_config,
    read_setup,
    route_of,
    same_file,
)
from desktop.evaluate.calibration_view import CalibrationView
from desktop.evaluate.controller import EvalController
from desktop.run.ops import EngineOp, OpChanges
from desktop.run.qt import named
from engine.errors import InterlockError, RunError, WorkflowLoadError
from engine.store.evaluation_records import RowResult
from engine.workflow.model import Workflow

if TYPE_CHECKING:
    from engine.evaluation.calibrate import Calibration
    from engine.routing.calibration import CascadePoint

DEFAULT_TARGET = 0.98
ERROR = "color:#e0413a"
WARN = "color:#c98a1b"


class CalibrationDialog(QDialog):
    def __init__(
        self,
        controller: EvalController,
        source: CalibrationSource,
        editor: WorkflowEditor,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_dialog")
        self.setWindowTitle("Calibrate routing")
        self.controller = controller
        self.source = source
        self.editor = editor
        self.setup: CalibrationSetup | None = None
        self.calibration: Calibration | None = None
        self.calibrating = False
        self.ladder_run: list[str] = []
        self._build()
        controller.running_changed.connect(self._enable)
        controller.row_done.connect(self._on_row)
        controller.calibrated.connect(self._on_calibrated)
        controller.finished.connect(self._on_finished)
        self.resize(1280, 760)
        self._enable()
        self.read_task = (
            EngineOp(lambda: read_setup(controller, source), OpChanges())
            .success(self.show_setup)
            .failure(self._on_setup_failed)
            .run()
        )

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.heading = named(QLabel(f"Reading {html.escape(self.source.describe())}…"), "heading")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        form = QHBoxLayout()
        form.addWidget(QLabel("Node"))
        self.node = named(QComboBox(), "calibrate_node")
        self.node.setMinimumContentsLength(12)
        self.node.currentIndexChanged.connect(self._on_node)
        form.addWidget(self.node)
        form.addSpacing(8)
        form.addWidget(QLabel("Target"))
        self.target = named(QDoubleSpinBox(), "calibrate_target")
        self.target.setRange(0.5, 1.0)
        self.target.setSingleStep(0.01)
        self.target.setDecimals(3)
        self.target.setValue(DEFAULT_TARGET)
        self.target.setToolTip("Quality to keep, as a share of the top rung's score")
        form.addWidget(self.target)
        form.addWidget(QLabel("of the top rung's score"))
        form.addSpacing(8)
        form.addWidget(QLabel("Ladder"))
        self.ladder = named(QLineEdit(), "calibrate_ladder")
        self.ladder.setToolTip("Model ids, first rung first, comma-separated; empty: the node's")
        form.addWidget(self.ladder, 1)
        self.limit = named(QSpinBox(), "calibrate_limit")
        self.limit.setRange(0, 100_000)
        self.limit.setSpecialValueText("all rows")
        self.limit.setPrefix("first ")
        form.addWidget(self.limit)
        self.run_button = named(QPushButton("Calibrate"), "run_calibration")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(lambda: self.calibrate())
        self.stop_button = named(QPushButton("Stop"), "stop_calibration")
        self.stop_button.clicked.connect(self.controller.stop)
        form.addWidget(self.run_button)
        form.addWidget(self.stop_button)
        layout.addLayout(form)
        progress = QHBoxLayout()
        self.progress = named(QProgressBar(), "calibration_progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.setFormat("%v / %m rows")
        self.progress.setVisible(False)  # until a calibration runs
        self.status = named(QLabel(), "calibration_status")
        self.status.setWordWrap(True)
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.status, 3)
        layout.addLayout(progress)
        self.view = CalibrationView()
        self.view.point_selected.connect(self._on_point)
        layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        self.applied = named(QLabel(), "calibration_applied")
        self.applied.setWordWrap(True)
        buttons.addWidget(self.applied, 1)
        self.apply_button = named(QPushButton("Apply to workflow"), "apply_calibration")
        self.apply_button.setToolTip(
            "Write the route of the selected frontier row (at first the chosen one) into the "
            "node of the open workflow as one edit (undoable); save the workflow to keep it"
        )
        self.apply_button.clicked.connect(lambda: self.apply())
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    # -- the source ------------------------------------------------------------------------

    def show_setup(self, setup: CalibrationSetup) -> None:
        self.setup = setup
        eval_file = setup.loaded.path
        self.heading.setText(
            f"<b>Calibrate routing</b> of {html.escape(setup.workflow_path.name)} on "
            f"{html.escape(setup.loaded.spec.dataset)}"
            + (
                f" <span style='color:gray'>(eval file {html.escape(eval_file.name)})</span>"
                if eval_file is not None
                else ""
            )
        )
        self.node.blockSignals(True)
        self.node.clear()
        for node_id in setup.nodes:
            kind = next(n.kind for n in setup.workflow.nodes if n.id == node_id)
            self.node.addItem(f"{node_id} ({kind})", node_id)
        self.node.blockSignals(False)
        if not setup.nodes:
            self._say(
                f"<span style='{ERROR}'>{html.escape(setup.workflow_path.name)} has no llm "
                "node (nor a map of an llm template) to calibrate</span>"
            )
        self._on_node()

    def _on_setup_failed(self, exc: BaseException) -> None:
        if isinstance(exc, WorkflowLoadError):
            name = self.source.describe()
            text = "<br>".join(html.escape(p.format(name)) for p in exc.problems[:5])
        else:
            text = html.escape(str(exc))
        self.heading.setText(
            f"<span style='{ERROR}'>Cannot calibrate on "
            f"{html.escape(self.source.describe())}:</span><br>{text}"
        )
        self._enable()

    def node_id(self) -> str | None:
        data = self.node.currentData()
        return str(data) if data else None

    def _on_node(self, _index: int = 0) -> None:
        node_id = self.node_id()
        own = self.setup.ladders.get(node_id) if self.setup and node_id else None
        if isinstance(own, list):
            self.ladder.setPlaceholderText(f"the node's own: {', '.join(own)}")
            self._say(f"{len(own)} rungs: each runs alone over the dataset")
        elif isinstance(own, str):
            self.ladder.setPlaceholderText("model ids, first rung first")
            self._say(f"<span style='{WARN}'>{html.escape(own)}</span>")
        self._enable()

    def chosen_ladder(self) -> list[str] | None:
        typed = [m.strip() for m in self.ladder.text().split(",") if m.strip()]
        return typed or None

    # -- calibrating -----------------------------------------------------------------------

    def calibrate(self) -> asyncio.Task[Any] | None:
        node_id, setup = self.node_id(), self.setup
        if node_id is None or setup is None or self.controller.running:
            return None
        ladder = self.chosen_ladder()
        own = setup.ladders.get(node_id)
        self.ladder_run = ladder or (own if isinstance(own, list) else [])
        task = self.controller.calibrate(
            setup.loaded,
            node_id,
            self.target.value(),
            ladder=ladder,
            limit=self.limit.value() or None,
        )
        if task is None:
            return None
        self.calibrating = True
        self.calibration = None
        self.view.clear(f"Calibrating {html.escape(node_id)}…")
        self.applied.setText("")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(True)
        self.progress.setVisible(True)
        self._say("Each rung runs alone over the dataset; its rows show in the Evaluate dock")
        self._enable()
        return task

    def _on_row(self, result: RowResult, done: int, total: int) -> None:
        if not self.calibrating:
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self._say(
            f"{self.rung_name(result.variant)}: row {result.row_index} "
            + ("right" if result.passed else "wrong")
        )

    def rung_name(self, variant: str) -> str:
        """ "rung 2 (gemma3-270m)" for the variant `rung1` a calibration runs."""
        index = variant.removeprefix("rung")
        if not index.isdigit():
            return variant
        at = int(index)
        model = f" ({self.ladder_run[at]})" if at < len(self.ladder_run) else ""
        return f"rung {at + 1}{model}"

    def _on_calibrated(self, result: Calibration) -> None:
        if not self.calibrating:
            return
        self.show_calibration(result)

    def _on_finished(self, outcome: object) -> None:
        if not self.calibrating:
            return
        self.calibrating = False
        if isinstance(outcome, asyncio.CancelledError):
            self._say("Calibration stopped")
        elif isinstance(outcome, WorkflowLoadError):
            name = self.source.describe()
            shown = "<br>".join(html.escape(p.format(name)) for p in outcome.problems[:5])
            self._say(f"<span style='{ERROR}'>Calibration not started:</span><br>{shown}")
        elif isinstance(outcome, BaseException):
            self._say(
                f"<span style='{ERROR}'>Calibration failed:</span> {html.escape(str(outcome))}"
            )
        if self.calibration is None:
            self.progress.setRange(0, 1)
        self._enable()

    def show_calibration(self, result: Calibration) -> None:
        """Show a calibration and the route it would write into the node, as the open
        workflow holds it (or the workflow file, when another workflow is open)."""
        self.calibration = result
        self.view.set_calibration(result, self._route_preview(result))
        self._say(
            f"Calibrated {html.escape(result.node_id)} on {len(result.rows)} rows: "
            "apply the route to the workflow, then save it to keep it"
        )
        self._enable()

    def _on_point(self, point: CascadePoint) -> None:
        """A frontier row selected: its cascade is the one to apply (the chosen row's again
        undoes the pick); the verdict, the chart and the route preview follow."""
        from engine.evaluation.calibrate import pick  # loaded with the calibration

        result = self.calibration
        if result is None or self.calibrating or point == result.applied:
            return
        self.calibration = pick(result, point)
        self.view.set_calibration(self.calibration, self._route_preview(self.calibration))
        self.applied.setText("")

    def _route_preview(self, result: Calibration) -> dict[str, Any] | None:
        workflow = self._target_workflow()
        if workflow is None or not any(n.id == result.node_id for n in workflow.nodes):
            return None
        node = next(n for n in workflow.nodes if n.id == result.node_id)
        try:
            return route_of(calibrated_config(workflow, result), node.kind)
        except (ValueError, InterlockError) as exc:  # a route that would not load
            self._say(f"<span style='{ERROR}'>{html.escape(str(exc))}</span>")
            return None

    def _target_workflow(self) -> Workflow | None:
        document = self.editor.document
        if self.setup is not None and same_file(document.path, self.setup.workflow_path):
            return document.workflow
        return self.setup.workflow if self.setup is not None else None

    # -- applying --------------------------------------------------------------------------

    def ask_open(self, path: Path) -> bool:
        """Open the calibrated workflow? (a method so tests can answer it)."""
        answer = QMessageBox.question(
            self,
            "Open the workflow?",
            f"The calibration measured {path.name}, which is not the open workflow.\n\n"
            f"Open {path.name} to apply the calibrated route to it?",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Open,
        )
        return answer == QMessageBox.StandardButton.Open

    def apply(self) -> bool:
        """Write the applied route (the chosen one, or the selected frontier row's) into the
        node of the open workflow: one undo step."""
        result, setup = self.calibration, self.setup
        if result is None or setup is None:
            return False
        path = setup.workflow_path
        document = self.editor.document
        if not same_file(document.path, path):
            if not self.ask_open(path):
                self.applied.setText(
                    f"<span style='{WARN}'>The route applies to {html.escape(path.name)}: "
                    "open it to apply</span>"
                )
                return False
            if not self.editor.open_path(path):
                return False
            document = self.editor.document
        if not document.has_node(result.node_id):
            self.applied.setText(
                f"<span style='{ERROR}'>{html.escape(path.name)} has no node "
                f"{html.escape(result.node_id)} any more</span>"
            )
            return False
        try:
            config = calibrated_config(document.workflow, result)
        except (ValueError, RunError) as exc:
            self.applied.setText(f"<span style='{ERROR}'>{html.escape(str(exc))}</span>")
            return False
        if config == document.node(result.node_id).config:
            self.applied.setText("The open workflow has this route already")
            return False
        self.editor.undo_stack.push(
            SetConfigCommand(document, result.node_id, config, "calibrated route")
        )
        self.view.set_calibration(result, route_of(config, document.node(result.node_id).kind))
        which = "the selected cascade" if result.picked is not None else "the chosen cascade"
        self.applied.setText(
            f"Applied {which} to {html.escape(result.node_id)} in {html.escape(path.name)}: "
            "<b>save the workflow</b> to keep it (Edit &gt; Undo takes it back)"
        )
        self._enable()
        return True

    # -- state -----------------------------------------------------------------------------

    def _enable(self, *_: object) -> None:
        running = self.controller.running
        self.run_button.setEnabled(not running and self.node_id() is not None)
        self.stop_button.setEnabled(running and self.calibrating)
        for widget in (self.node, self.target, self.ladder, self.limit):
            widget.setEnabled(not self.calibrating)
        self.apply_button.setEnabled(self.calibration is not None and not self.calibrating)
        if running and not self.calibrating:
            self.run_button.setToolTip("An evaluation is running: calibrate once it ends")
        else:
            self.run_button.setToolTip("Run each rung alone over the dataset, then choose")

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.calibrating:  # a calibration nobody watches: stop it
            self.controller.stop()
        super().closeEvent(event)
