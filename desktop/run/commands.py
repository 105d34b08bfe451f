"""The run commands of the main window: Run (with the inputs dialog), Re-run, Resume, Run
from here (node context menu), the Offline toggle, export, replay, compare, models and
settings dialogs. Each goes through the RunController or an EngineOp."""

from __future__ import annotations

import asyncio
import logging
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QGraphicsItem, QMenu, QMessageBox, QStyle

from desktop import file_dialogs
from desktop.async_loop import loop_running
from desktop.canvas.node_item import NodeItem
from desktop.dialogs.inputs_dialog import (
    RunInputsDialog,
    initial_values,
    missing_required,
    settings_key,
)
from desktop.run.export import (
    FORMAT_NAMES,
    export_report,
    file_filter,
    format_of,
    with_extension,
)
from desktop.run.ops import EngineOp, OpChanges, op_hub
from desktop.run.resumable import resumable
from engine.errors import InterlockError
from engine.providers.remote.calls import OFFLINE_ENV
from engine.reports import EXTENSIONS

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from desktop.dialogs.compare_dialog import Comparison
    from desktop.main_window import MainWindow
    from desktop.run.replay_window import ReplayWindow, StoredRun


def set_offline(on: bool) -> None:
    """The engine's global offline switch (`INTERLOCK_OFFLINE=1`)."""
    if on:
        os.environ[OFFLINE_ENV] = "1"
    else:
        os.environ.pop(OFFLINE_ENV, None)


class RunCommands(QObject):
    exported = Signal(object)
    """The Path a run was just exported to."""
    replay_opened = Signal(object)
    """The ReplayWindow just shown."""
    compare_opened = Signal(object)
    """The CompareRunsDialog just opened."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.run_controller
        self.inputs_dialog: RunInputsDialog | None = None
        self.chosen_run: str | None = None
        """The run picked in the Runs panel (selected or opened): Resume acts on it, else
        on the window's last run."""
        self._resume_checks = 0
        self.replays: list[ReplayWindow] = []
        style = window.style()
        SP = QStyle.StandardPixmap

        def action(text: str, slot: object, shortcut: str | None = None) -> QAction:
            act = QAction(text, window)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            return act

        self.run_with_inputs = action("Run with &Inputs…", self.ask_and_run, "Ctrl+Shift+R")
        self.rerun = action("Re-r&un", self.rerun_last, "Ctrl+F5")
        self.rerun.setIcon(style.standardIcon(SP.SP_BrowserReload))
        self.resume = action("Res&ume", self.resume_last, "F6")
        self.resume.setIcon(style.standardIcon(SP.SP_MediaSeekForward))
        self.offline = QAction("&Offline", window)
        self.offline.setCheckable(True)
        self.offline.setToolTip("No remote endpoints: INTERLOCK_OFFLINE=1 for every run")
        self.offline.toggled.connect(set_offline)
        self.export_menu = QMenu("&Export Run", window)
        for fmt, name in FORMAT_NAMES.items():
            self.export_menu.addAction(f"{name}…", partial(self.export_last, fmt))
        self.export = self.export_menu.menuAction()
        self.export.setToolTip("Save the last run as HTML, PDF, Markdown, OTLP or JSON")
        self.models = action("&Models and Endpoints…", self.show_models)
        self.settings = action("Se&ttings…", self.show_settings, "Ctrl+,")
        self.controller.running_changed.connect(self._on_running)
        op_hub().changed.connect(self._on_changes)
        self._on_running(False)

    # -- running -------------------------------------------------------------------------

    def run(self, *, ask: bool) -> None:
        """Start a run; asks for inputs when `ask` or when a required one has no value."""
        window = self.window
        workflow = window.document.workflow
        path = window.document.path
        key = settings_key(workflow, str(path.resolve()) if path else None)
        values = initial_values(workflow, window.settings, key)
        if not workflow.inputs or (not ask and not missing_required(workflow, values)):
            self.controller.start(values)
            return
        dialog = RunInputsDialog(workflow, window.settings, key, window)
        dialog.accepted.connect(lambda: self.controller.start(dialog.result_values))
        dialog.finished.connect(dialog.deleteLater)
        self.inputs_dialog = dialog
        dialog.open()

    def _ready(self) -> bool:
        if self.controller.running:
            return False
        report = self.window.validate_now()
        if not report.ok:
            self.window.statusBar().showMessage(
                f"Cannot run: {len(report.errors)} problems; see the Problems panel", 8000
            )
        return report.ok

    def ask_and_run(self) -> None:
        if self._ready():
            self.run(ask=True)

    def rerun_last(self) -> None:
        if self._ready():
            self.controller.rerun()

    def run_from(self, node_id: str) -> None:
        if self._ready():
            self.controller.run_from(node_id)

    def resume_target(self) -> str | None:
        return self.chosen_run or self.controller.last_run_id

    def resume_last(self) -> None:
        """Continue the chosen (else the last) run; enabled only when it can be."""
        run_id = self.resume_target()
        if run_id is not None and not self.controller.running:
            self.controller.resume(run_id)

    def choose_run(self, run_id: str | None) -> None:
        if run_id != self.chosen_run:
            self.chosen_run = run_id
            self.refresh_resume()

    def refresh_resume(self) -> None:
        """Enable Resume when its run can be continued: failed or cancelled, its process
        died, or an approval it waits for is decided (read in a worker thread)."""
        run_id, session = self.resume_target(), self.controller.session
        if run_id is None or self.controller.running or not session.store_ready:
            self.resume.setEnabled(False)
            return
        if not loop_running():
            return
        self._resume_checks += 1
        check = self._resume_checks
        EngineOp.threaded(lambda: resumable(session.store, run_id), OpChanges()).success(
            lambda ok: self._on_resumable(check, run_id, ok)
        ).failure(lambda _: self._on_resumable(check, run_id, False)).run()

    def _on_resumable(self, check: int, run_id: str, ok: bool) -> None:
        if check != self._resume_checks:
            return  # a later check is under way
        self.resume.setEnabled(ok and not self.controller.running)
        self.resume.setToolTip(
            f"Continue run {run_id}" if ok else f"Run {run_id} cannot be continued"
        )

    def _on_changes(self, changes: OpChanges) -> None:
        if changes.runs or changes.approvals:
            self.refresh_resume()

    def refresh_buttons(self) -> None:
        """Enable the run buttons for what the controller holds now."""
        self._on_running(self.controller.running)

    def _on_running(self, running: bool) -> None:
        has_run = self.controller.last_run_id is not None
        self.run_with_inputs.setEnabled(not running)
        self.rerun.setEnabled(not running and has_run)
        self.export.setEnabled(not running and has_run)
        self.refresh_resume()
        if not running:  # said from the run's own task: check again once it has ended
            QTimer.singleShot(0, self.refresh_resume)

    # -- run entries of a node's context menu (desktop/canvas_menus.py shows it) --------

    def node_at(self, pos: QPoint) -> str | None:
        item: QGraphicsItem | None = self.window.view.itemAt(pos)
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        return item.node_id if isinstance(item, NodeItem) else None

    def node_menu(self, node_id: str) -> QMenu:
        """A menu of the run entries alone."""
        menu = QMenu(self.window)
        self.add_node_entries(menu, node_id)
        return menu

    def add_node_entries(self, menu: QMenu, node_id: str) -> None:
        """Run from Here and Show Run Details for `node_id`, appended to `menu`."""
        act = menu.addAction("Run from Here", lambda: self.run_from(node_id))
        act.setEnabled(not self.controller.running and self.controller.last_run_id is not None)
        act.setToolTip(
            "Re-run this node and everything downstream, never taken from the cache; "
            "nodes upstream reuse the last run's results"
        )
        menu.addAction("Show Run Details", lambda: self.window.run_ui.show_node_run(node_id))

    # -- looking back --------------------------------------------------------------------

    def export_last(self, fmt: str | None = None) -> None:
        if self.controller.last_run_id is not None:
            self.export_run(self.controller.last_run_id, fmt=fmt)

    def export_run(
        self, run_id: str, path: Path | None = None, fmt: str | None = None
    ) -> asyncio.Task[None] | None:
        """Write run `run_id` as `fmt` (else as the file's extension says) with the
        engine's report renderer, in a worker thread; asks where when `path` is None."""
        if path is None:
            fmt = fmt or "html"
            name, chosen = file_dialogs.save_file_name(
                self.window,
                "Export run",
                str(self._export_folder() / f"run-{run_id}{EXTENSIONS[fmt]}"),
                ";;".join(file_filter(f) for f in sorted(FORMAT_NAMES, key=lambda f: f != fmt)),
            )
            if not name:
                return None
            fmt = format_of(Path(name), chosen)
            path = with_extension(Path(name), fmt)
        fmt = fmt or format_of(path)
        store, target = self.controller.session.store, path
        return (
            EngineOp.threaded(lambda: export_report(store, run_id, target, fmt), OpChanges())
            .success(lambda done: self._on_exported(run_id, done))
            .failure(lambda exc: self._on_export_failed(target, exc))
            .run()
        )

    def _export_folder(self) -> Path:
        """Where exports are offered: beside the open workflow file, else the home folder."""
        path = self.window.document.path
        return path.parent if path is not None else Path.home()

    def _on_exported(self, run_id: str, path: Path) -> None:
        self.exported.emit(path)
        self.controller.message.emit(f"Exported run {run_id} to {path}")

    def _on_export_failed(self, path: Path, exc: BaseException) -> None:
        if not isinstance(exc, OSError | InterlockError):
            log.error("export of %s failed", path, exc_info=exc)
        QMessageBox.warning(self.window, "Export failed", f"{path}\n\n{exc}")

    def open_replay(self, run_id: str) -> asyncio.Task[None]:
        """Read run `run_id` in a worker thread, then show it in a replay window (the
        newest of `replays`; `replay_opened` carries it)."""
        from desktop.run.replay_window import ReplayWindow, load_stored_run

        session = self.controller.session

        def show(stored: StoredRun) -> None:
            replay = ReplayWindow(session.store, stored, self.window.registry)
            self.replays = [r for r in self.replays if r.isVisible()] + [replay]
            replay.show()
            self.replay_opened.emit(replay)

        return (
            EngineOp.threaded(lambda: load_stored_run(session.store, run_id), OpChanges())
            .success(show)
            .failure(lambda exc: self._cannot_open(run_id, exc))
            .run()
        )

    def compare(self, run_a: str, run_b: str) -> asyncio.Task[None]:
        """Read both runs in a worker thread, then open the compare dialog on them
        (`compare_opened` carries it)."""
        from desktop.dialogs.compare_dialog import CompareRunsDialog, load_comparison

        session = self.controller.session

        def show(loaded: Comparison) -> None:
            dialog = CompareRunsDialog(loaded, self.window)
            dialog.finished.connect(dialog.deleteLater)
            dialog.open()
            self.compare_opened.emit(dialog)

        return (
            EngineOp.threaded(lambda: load_comparison(session.store, run_a, run_b), OpChanges())
            .success(show)
            .failure(lambda exc: self._cannot_open(f"{run_a} or {run_b}", exc))
            .run()
        )

    def _cannot_open(self, what: str, exc: BaseException) -> None:
        if not isinstance(exc, InterlockError | KeyError):
            log.error("reading run %s failed", what, exc_info=exc)
        QMessageBox.warning(self.window, "Cannot open run", str(exc))

    def show_models(self) -> QObject:
        from desktop.dialogs.models_dialog import ModelsDialog

        dialog = ModelsDialog(self.window)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def show_settings(self) -> QObject:
        from desktop.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.window.settings, self.window)
        dialog.accepted.connect(self.window.run_ui.apply_settings)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog
