"""Installs evaluation into the main window: the Evaluate dock (View > Panels), the
"Evaluate…" command in the Workflow menu and toolbar, rows opening their run in replay,
"Calibrate routing…" editing the open workflow, and "Add to Dataset…" on a run in the Runs
panel. The panel and the evaluation engine are imported when first needed, so they add
nothing to start-up."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMessageBox, QStyle, QWidget

from desktop.collector import long_lived_imports
from desktop.run.ops import EngineOp, OpChanges
from engine.store.evaluation_records import DatasetInfo
from engine.store.protocol import RunRecord
from engine.workflow.model import Workflow

if TYPE_CHECKING:
    from desktop.dialogs.add_to_dataset_dialog import AddToDatasetDialog
    from desktop.evaluate.calibration_dialog import CalibrationDialog
    from desktop.evaluate.calibration_setup import CalibrationSource
    from desktop.evaluate.controller import EvalController
    from desktop.evaluate.evaluate_panel import EvaluatePanel
    from desktop.main_window import MainWindow

DOCK_SHARE = 0.45
"""Of the window's height, for the Evaluate dock when "Evaluate…" shows it."""


class EvaluateUi(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        run_ui = window.run_ui
        self._controller: EvalController | None = None
        self._panel: EvaluatePanel | None = None
        self.dock = QDockWidget("Evaluate", window)
        self.dock.setObjectName("evaluate_dock")
        self.dock.setWidget(QWidget())  # the panel replaces it when the dock first shows
        self.dock.visibilityChanged.connect(self._on_visibility)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        window.tabifyDockWidget(run_ui.trace_dock, self.dock)
        run_ui.runs_dock.raise_()
        if window.panels_menu is not None:
            window.panels_menu.addAction(self.dock.toggleViewAction())
        self.add_dialog: AddToDatasetDialog | None = None
        self.calibration_dialog: CalibrationDialog | None = None
        self.evaluate = QAction("&Evaluate…", window)
        self.evaluate.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.evaluate.setIcon(
            window.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView)
        )
        self.evaluate.setToolTip("Evaluate a workflow on a dataset of labelled examples")
        self.evaluate.triggered.connect(self.show_panel)
        menu = window.workflow_menu
        if menu is not None:
            after = _after(menu, "Res&ume")
            if after is not None:
                menu.insertAction(after, self.evaluate)
            else:
                menu.addAction(self.evaluate)
        if window.main_toolbar is not None:
            window.main_toolbar.addAction(self.evaluate)

        run_ui.runs.add_to_dataset_requested.connect(self.add_run_to_dataset)
        window.run_controller.session_ready.connect(
            self._on_session_ready, Qt.ConnectionType.QueuedConnection
        )
        self._closing = False

    @property
    def controller(self) -> EvalController:
        if self._controller is None:
            with long_lived_imports():  # the evaluation engine, once
                from desktop.evaluate.controller import EvalController

            self._controller = EvalController(self.window.run_controller.session, self)
            self._controller.message.connect(self._on_message)
        return self._controller

    @property
    def panel(self) -> EvaluatePanel:
        if self._panel is None:
            with long_lived_imports():
                from desktop.evaluate.evaluate_panel import EvaluatePanel

            self._panel = EvaluatePanel(self.controller, self._open_workflow)
            self._panel.open_run_requested.connect(self.window.run_ui.commands.open_replay)
            self._panel.calibrate_requested.connect(self.open_calibration)
            self.controller.started.connect(self._on_started)
            self.dock.setWidget(self._panel)
            if self.window.run_controller.session.store_ready:
                self._panel.set_ready()
        return self._panel

    def _on_visibility(self, visible: bool) -> None:
        if visible and self._panel is None:
            QTimer.singleShot(0, self, lambda: self.panel)  # after this paint

    def _open_workflow(self) -> tuple[Workflow, Path | None]:
        document = self.window.document
        return document.workflow, document.path

    def _on_session_ready(self) -> None:
        if self._panel is not None and self.window.run_controller.session.store_ready:
            self._panel.set_ready()

    def _on_started(self, _name: str) -> None:
        """Say so when the evaluation runs the saved file of a workflow changed since."""
        loaded, path = self.panel.setup.loaded, self.window.document.path
        if loaded is None or path is None or self.window.undo_stack.isClean():
            return
        if loaded.resolve(loaded.spec.workflow) == path.resolve():
            text = f"{path.name} has unsaved changes: the evaluation runs the saved file"
            self.panel.status.setText(f"<span style='color:#c98a1b'>{html.escape(text)}</span>")
            self._on_message(text)

    def _on_message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def show_panel(self) -> None:
        """Show and raise the Evaluate dock, tall enough to read results in."""
        _ = self.panel
        self.dock.show()
        self.dock.raise_()
        QTimer.singleShot(0, self, self._make_room)  # once the dock is laid out

    def _make_room(self) -> None:
        if self.dock.isFloating() or not self.dock.isVisible():
            return
        height = int(self.window.height() * DOCK_SHARE)
        if self.dock.height() < height:
            self.window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)

    # -- calibrating routing ----------------------------------------------------------------

    def open_calibration(self, source: CalibrationSource) -> CalibrationDialog:
        """The calibration dialog on `source`; its route applies to the open workflow."""
        from desktop.evaluate.calibration_dialog import CalibrationDialog

        if self.calibration_dialog is not None:
            self.calibration_dialog.close()
        dialog = CalibrationDialog(self.controller, source, self.window, self.window)
        dialog.finished.connect(dialog.deleteLater)
        dialog.destroyed.connect(lambda: self._forget(dialog))
        self.calibration_dialog = dialog
        dialog.show()
        return dialog

    def _forget(self, dialog: object) -> None:
        if self.calibration_dialog is dialog:
            self.calibration_dialog = None

    # -- adding a run to a dataset ---------------------------------------------------------

    def add_run_to_dataset(self, run_id: str) -> None:
        """Ask for the dataset and the expected values, then add the run (off the GUI thread)."""

        async def read() -> tuple[RunRecord, list[DatasetInfo]]:
            return await self.controller.run_record(run_id), await self.controller.datasets()

        EngineOp(read, OpChanges()).success(self._ask).failure(self._on_failure).run()

    def _ask(self, found: tuple[RunRecord, list[DatasetInfo]]) -> None:
        from desktop.dialogs.add_to_dataset_dialog import AddToDatasetDialog

        run, infos = found
        names = list(dict.fromkeys(info.name for info in infos))
        chosen = self._panel.setup.dataset.currentData() if self._panel is not None else None
        dialog = AddToDatasetDialog(run, names, str(chosen or ""), self.window)
        dialog.accepted.connect(lambda: self._add(dialog))
        dialog.finished.connect(dialog.deleteLater)
        self.add_dialog = dialog
        dialog.open()

    def _add(self, dialog: AddToDatasetDialog) -> None:
        run_id, name, expected = dialog.run.run_id, dialog.dataset_name(), dialog.expected_value()

        def added(info: DatasetInfo) -> None:
            self._on_message(f"Added run {run_id} to dataset {info.name}: {info.row_count} rows")

        EngineOp(
            lambda: self.controller.add_run(run_id, name, expected), OpChanges(datasets=True)
        ).success(added).failure(self._on_failure).run()

    def _on_failure(self, exc: BaseException) -> None:
        QMessageBox.warning(self.window, "Dataset not changed", str(exc))

    # -- closing ---------------------------------------------------------------------------

    def ready_to_close(self) -> bool:
        """False while an evaluation is stopping (its rows so far stay stored, and it can be
        resumed); the window closes itself once it has."""
        if self._controller is None or not self._controller.running:
            return True
        if not self._closing:
            self._closing = True
            self.controller.running_changed.connect(self._close_when_stopped)
            self.controller.stop()
        return False

    def _close_when_stopped(self, running: bool) -> None:
        if not running:
            QTimer.singleShot(0, self.window.close)


def _after(menu: Any, text: str) -> QAction | None:
    """The action after the one titled `text` in `menu` (None: append at the end)."""
    actions = menu.actions()
    for i, action in enumerate(actions):
        if action.text() == text and i + 1 < len(actions):
            return actions[i + 1]  # type: ignore[no-any-return]
    return None
