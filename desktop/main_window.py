"""The main window: canvas, palette, inspector and problems docks, and the file, edit,
view, run and evaluate commands around one WorkflowDocument. A file that cannot be parsed
at all is shown read-only instead of the canvas, and never saved over."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from desktop import collector, file_dialogs
from desktop.actions import build_actions
from desktop.canvas.scene import WorkflowScene
from desktop.canvas.view import WorkflowView
from desktop.canvas_actions import install_canvas_actions
from desktop.canvas_menus import CanvasMenus
from desktop.command_palette import install_command_palette
from desktop.evaluate.window_ui import EvaluateUi
from desktop.external_edits import DiskChangeBar, ExternalEdits, view_kept, with_bar
from desktop.file_watch import FileWatch
from desktop.inspector.inspector import InspectorWidget
from desktop.palette import NodePaletteWidget
from desktop.problems import ProblemsWidget
from desktop.recent_files import RecentFiles
from desktop.recovery import Autosaver, RecoveryOffer, recovered
from desktop.recovery_store import RecoveryEntry
from desktop.resources import EXAMPLE, examples, icon
from desktop.run.window_ui import RunUi
from desktop.run_controller import RunController
from desktop.start_panel import StartPanel
from desktop.subworkflow_open import copy_child_files, open_subworkflow
from desktop.unreadable_view import UnreadableFile, UnreadableFileView, unreadable
from desktop.wheel_guard import install_wheel_guard
from desktop.window_fit import fit_to_screen, scroll_large_docks
from desktop.workflow_settings.window_ui import WorkflowSettingsUi
from engine.nodes import default_registry
from engine.nodes.base import NodeRegistry
from engine.runtime.validate import Report, validate
from engine.workflow.document import Change, WorkflowChanged, WorkflowDocument, new_workflow
from engine.workflow.layout import lay_out, needs_layout
from engine.workflow.lenient import LenientLoad, load_lenient

log = logging.getLogger(__name__)

FILE_FILTER = "Interlock workflows (*.interlock.yaml *.yaml *.yml);;All files (*)"
WARM_UP_DELAY_MS = 300
Answer = QMessageBox.StandardButton


class MainWindow(QMainWindow):
    """One workflow document: a window of its own, or a tab of a `WindowTabs`."""

    closed = Signal(object)
    """This document closed (its edits saved or dropped); carries the window."""

    def __init__(
        self,
        registry: NodeRegistry | None = None,
        settings: QSettings | None = None,
        db_path: str | None = None,
    ) -> None:
        super().__init__()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            install_wheel_guard(app)
        self.registry = registry or default_registry()  # plugins too, as the CLI
        self.settings = settings or QSettings("Interlock", "Interlock")
        self.document = WorkflowDocument()
        self.undo_stack = QUndoStack(self)
        self.scene = WorkflowScene(self.document, self.registry, self.undo_stack)
        self.view = WorkflowView(self.scene, self)
        self.unreadable: UnreadableFile | None = None
        """The file last opened, when it could not be parsed at all (then never saved)."""
        self.unreadable_view = UnreadableFileView()
        self.unreadable_view.reload_requested.connect(self.reload_unreadable)
        self.central = QStackedWidget(self)
        self.central.addWidget(self.view)
        self.central.addWidget(self.unreadable_view)
        self.disk_bar = DiskChangeBar()
        self.setCentralWidget(with_bar(self.disk_bar, self.central))
        self.run_controller = RunController(self.document, self.scene, self.registry, db_path, self)
        self.last_report = Report()
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(200)
        self._validate_timer.timeout.connect(self.validate_now)

        self.palette_widget = NodePaletteWidget(self.registry)
        self.inspector = InspectorWidget(self.document, self.registry, self.undo_stack)
        self.problems = ProblemsWidget()
        self.panels_menu: QMenu | None = None
        self.workflow_menu: QMenu | None = None
        self.main_toolbar: QToolBar | None = None
        self.actions_ = build_actions(self)
        self.canvas_actions = install_canvas_actions(self)
        self._dock(
            "Nodes", "palette_dock", self.palette_widget, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self._dock(
            "Inspector", "inspector_dock", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self._dock(
            "Problems", "problems_dock", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.run_ui = RunUi(self)
        self.evaluate_ui = EvaluateUi(self)
        self.settings_ui = WorkflowSettingsUi(self)
        self.command_palette = install_command_palette(self)
        self.canvas_menus = CanvasMenus(self)
        scroll_large_docks(self)  # fits 1366x768 at 150%

        self.palette_widget.kind_activated.connect(self.add_node_at_centre)
        self.problems.node_activated.connect(self.reveal_node)
        self.inspector.open_subworkflow_requested.connect(self.open_subworkflow)
        self.scene.selectionChanged.connect(self._on_selection)
        self.scene.hint.connect(self._show_hint)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.run_controller.message.connect(self._show_hint)
        self.run_controller.running_changed.connect(self._on_running)
        self._unsubscribe = self.document.subscribe(self._on_document_change)
        self.external_edits = ExternalEdits(
            FileWatch(self), self.disk_bar, self.undo_stack, self.reload_from_disk, self._show_hint
        )
        self.autosaver = Autosaver(self.document, self.undo_stack, parent=self)
        self.recovery = RecoveryOffer(self, self.autosaver)

        self._fit_on_show = False
        self._after_paint = _AfterFirstPaint(self.view.viewport(), self._on_first_paint)
        self.setWindowIcon(icon("interlock"))
        fit_to_screen(self, self.screen().availableGeometry())
        self._restore_state()
        self.recent = RecentFiles(self.settings, self.actions_.recent_menu, self.open_path)
        self.start_panel = StartPanel(examples(), self.view)
        self._start_dismissed = False
        self.start_panel.new_requested.connect(self._on_start_new)
        self.start_panel.open_requested.connect(self.open_file)
        self.start_panel.recent_chosen.connect(self.open_path)
        self.start_panel.example_chosen.connect(self.open_example_file)
        self._update_start_panel()
        self._update_title()
        self.statusBar().showMessage("Ready")

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if self.panels_menu is not None:
            self.panels_menu.addAction(dock.toggleViewAction())
        if area == Qt.DockWidgetArea.BottomDockWidgetArea:
            self.resizeDocks([dock], [150], Qt.Orientation.Vertical)
        else:
            self.resizeDocks(
                [dock],
                [250 if area == Qt.DockWidgetArea.LeftDockWidgetArea else 320],
                Qt.Orientation.Horizontal,
            )

    # -- files -----------------------------------------------------------------------------

    def new_file(self) -> None:
        if self.maybe_save():
            self._load(new_workflow(), None)

    def open_file(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.document.path.parent) if self.document.path else ""
        path, _ = file_dialogs.open_file_name(self, "Open workflow", start, FILE_FILTER)
        if path:
            self.open_path(path, ask=False)

    def open_path(self, path: str | Path, *, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        if not path.is_file():
            QMessageBox.warning(self, "Cannot open workflow", f"{path}\n\nNo such file.")
            return False
        with collector.paused():
            loaded = load_lenient(path)  # opens what it can; the rest is listed as problems
            broken = unreadable(path, loaded)
            if broken is None:
                self._load(loaded.workflow, path, loaded)
            else:
                self._show_unreadable(broken, loaded)
        self.recent.remember(path)
        if broken is not None:
            self._show_hint(f"Cannot open {path.name}: fix it in an editor, then Reload")
        elif loaded.problems:
            self._show_hint(f"Opened with {len(loaded.problems)} problems: see Problems")
        return True

    def open_example(self) -> None:
        self.open_example_file(EXAMPLE)

    def open_example_file(self, path: Path) -> None:
        """A bundled example as a new unsaved workflow: Save asks where, so the copy in
        the install folder is never written."""
        if self.maybe_save():
            loaded = load_lenient(path)
            self._load(loaded.workflow, None, loaded, example_folder=path.parent)

    def open_subworkflow(self, node_id: str) -> MainWindow | None:
        """The workflow file `node_id` runs, in a tab of this window."""
        return open_subworkflow(self, node_id)

    def _show_unreadable(self, broken: UnreadableFile, loaded: LenientLoad) -> None:
        self._load(new_workflow(broken.path.name.split(".")[0] or "Untitled"), None)
        self.unreadable = broken
        self.problems.set_source(loaded, broken.path)  # the problem, with its location
        self.unreadable_view.show_file(broken)
        self.central.setCurrentWidget(self.unreadable_view)
        self.palette_widget.setEnabled(False)
        self.validate_now()
        self._update_title()
        self.external_edits.tracked(broken.path)
        self._update_start_panel()

    def reload_unreadable(self) -> None:
        if self.unreadable is not None:
            self.open_path(self.unreadable.path, ask=False)

    def _load(
        self,
        workflow: Any,
        path: Path | None,
        loaded: LenientLoad | None = None,
        *,
        example_folder: Path | None = None,
    ) -> None:
        self.undo_stack.clear()
        self.run_controller.untitled_base = example_folder  # until it is saved somewhere
        self.unreadable = None
        self.central.setCurrentWidget(self.view)
        self.palette_widget.setEnabled(True)
        self.problems.set_source(loaded, path)
        annotations = loaded.annotations if loaded else None
        if needs_layout(workflow):  # a file written without positions opens readable
            lay_out(workflow)
        # `workflow` is always fresh (new or just loaded): the document takes it, no copy
        source = loaded.text if loaded else None  # saving keeps this text's layout
        self.document.reset(workflow, path, annotations, owned=True, source=source)
        self.autosaver.prepare_save()  # parse the text for the first save, off this thread
        self.undo_stack.setClean()
        if self.isVisible():
            self.view.zoom_fit()
        else:
            self._fit_on_show = True
        self.validate_now()
        self._update_title()
        self.external_edits.tracked(path)
        self._start_dismissed = False
        self._update_start_panel()

    def reload_from_disk(self) -> None:
        """Open the file again as it is on disk, keeping the view where it was."""
        if self.unreadable is not None:
            self.open_path(self.unreadable.path, ask=False)
        elif self.document.path is not None:
            with view_kept(self.view):
                self.open_path(self.document.path, ask=False)

    def offer_recovery(self) -> RecoveryEntry | None:
        """Offer edits a window left unsaved when Interlock ended (crashed, was killed)."""
        return self.recovery.offer(self._restore_in_place_or_tab)

    def _restore_in_place_or_tab(self, entry: RecoveryEntry) -> Autosaver | None:
        """Restore `entry` here when this document is an untouched new one or the copy's
        own file, else in a new tab beside it; returns the autosaver that keeps it."""
        own_file = entry.path is not None and self.document.path == entry.path
        untouched = self.document.path is None and not self.document.workflow.nodes
        if self.undo_stack.isClean() and (own_file or untouched):
            return self.autosaver if self.restore_recovered(entry) else None
        from desktop.window_tabs import in_tabs  # it imports this module

        tab = MainWindow(self.registry, self.settings, self.run_controller.db_path)
        if not tab.restore_recovered(entry):
            tab.deleteLater()
            return None
        in_tabs(self).add(tab)
        return tab.autosaver

    def restore_recovered(self, entry: RecoveryEntry) -> bool:
        """Open `entry`'s kept text as unsaved edits of its file (or of a new workflow)."""
        if not self.maybe_save():
            return False
        loaded = recovered(entry)
        self._load(loaded.workflow, entry.path, loaded)
        self.undo_stack.resetClean()  # unsaved until saved, even after undo
        self._update_title()
        self._show_hint(f"Restored unsaved edits to {entry.label()}")
        return True

    def save(self) -> bool:
        if self.document.path is None:  # also while an unreadable file is shown
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        if self.unreadable is not None:
            name = self.unreadable.path.name
            self._show_hint(f"{name} could not be opened, so it is not saved; fix it, Reload")
            return False
        start = str(self.document.path or Path.home() / "untitled.interlock.yaml")
        path, _ = file_dialogs.save_file_name(self, "Save workflow", start, FILE_FILTER)
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        example = self.run_controller.untitled_base if self.document.path is None else None
        try:
            self.document.save(path)
            copied = (
                copy_child_files(self.document.workflow, example, path.parent) if example else []
            )
        except OSError as exc:
            QMessageBox.critical(self, "Cannot save", f"{path}\n\n{exc}")
            return False
        self.run_controller.untitled_base = None
        self.undo_stack.setClean()
        self.external_edits.tracked(path, self.document.source)
        self.recent.remember(path)
        self._update_title()
        shown = f"Saved {path}"
        if copied:  # a copy of an example keeps working next to its workflows
            shown += f", with {', '.join(c.name for c in copied)} beside it"
        self.statusBar().showMessage(shown, 8000)
        return True

    def revert(self) -> None:
        path = self.document.path
        if path is None or self.undo_stack.isClean():
            return
        answer = QMessageBox.question(self, "Revert", f"Discard all changes to {path.name}?")
        if answer == Answer.Yes:
            self.open_path(path, ask=False)

    def ask_save_changes(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel (a method so tests can answer it)."""
        name = self.document.path.name if self.document.path else "this workflow"
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save changes to {name}?",
            Answer.Save | Answer.Discard | Answer.Cancel,
            Answer.Save,
        )

    def maybe_save(self) -> bool:
        """True when it is fine to drop the document (saved, discarded or unchanged)."""
        if self.undo_stack.isClean():
            return True
        answer = self.ask_save_changes()
        if answer == Answer.Save:
            return self.save()
        return answer == Answer.Discard

    # -- window state -----------------------------------------------------------------

    def recent_files(self) -> list[str]:
        return self.recent.files()

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._fit_on_show:
            self._fit_on_show = False
            QTimer.singleShot(0, self.view.zoom_fit)

    def _on_first_paint(self) -> None:
        """The window is on screen: keep what start-up made out of the garbage collector's
        full passes, and warm up the engine session (store, providers, model check) in a
        background thread once the first repaints are done (its imports would slow them:
        the GUI thread waits for the GIL at every call into Python)."""
        collector.freeze_long_lived()
        QTimer.singleShot(WARM_UP_DELAY_MS, self.run_controller, self.run_controller.warm_up)

    def closeEvent(self, event: QCloseEvent) -> None:
        if (
            not self.maybe_save()
            or not self.run_ui.ready_to_close()
            or not self.evaluate_ui.ready_to_close()
        ):
            event.ignore()
            return
        if self.isWindow():  # a tab's window keeps its own geometry
            self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.run_ui.close()
        self.run_controller.close()
        self.autosaver.close()
        self.scene.selectionChanged.disconnect(self._on_selection)
        self._unsubscribe()
        self.scene.detach()
        self.view.detach()
        self.inspector.detach()
        self.settings_ui.close()
        event.accept()
        self.closed.emit(self)

    # -- canvas helpers ---------------------------------------------------------------------

    def add_node_at_centre(self, kind: str) -> None:
        self.scene.add_node_of_kind(kind, self.view.visible_center())
        self.view.setFocus()

    def reveal_node(self, node_id: str) -> None:
        item = self.scene.node_items.get(node_id)
        if item is None:
            return
        self.scene.select_nodes([node_id])
        self.view.ensureVisible(item, 60, 60)

    def _on_selection(self) -> None:
        nodes = self.scene.selected_node_ids()
        if len(nodes) == 1:
            if nodes[0] != self.inspector.node_id:
                self.inspector.show_node(nodes[0])
        else:
            self.inspector.show_node(None, self.scene.selection_summary())

    def _on_document_change(self, change: Change) -> None:
        self._validate_timer.start()
        self._update_start_panel()
        if isinstance(change, WorkflowChanged) and change.section == "metadata":
            self._update_title()  # the title shows the workflow's name

    # -- validate and run ------------------------------------------------------------------

    def validate_now(self) -> Report:
        self._validate_timer.stop()
        if self.unreadable is not None:  # nothing to check; the panel lists why (with place)
            self.last_report = Report(errors=list(self.unreadable.problems))
            self.problems.set_report(Report(), self.document.workflow)
        else:
            base = self.run_controller.base_dir()
            self.last_report = validate(self.document.workflow, self.registry, None, base)
            self.problems.set_report(self.last_report, self.document.workflow)
        self.scene.show_problems(self.problems.by_node)
        errors, warnings = len(self.last_report.errors), len(self.last_report.warnings)
        dock = self.problems.parentWidget()
        if isinstance(dock, QDockWidget):
            dock.setWindowTitle(f"Problems ({errors} errors, {warnings} warnings)")
        return self.last_report

    def run_workflow(self) -> None:
        if self.run_controller.running:
            return
        report = self.validate_now()
        if not report.ok:
            self._show_hint(f"Cannot run: {len(report.errors)} problems; see the Problems panel")
            return
        self.run_ui.commands.run(ask=False)

    def _on_running(self, running: bool) -> None:
        self.actions_.run.setEnabled(not running)
        self.actions_.stop.setEnabled(running)

    # -- chrome ----------------------------------------------------------------------------

    def _update_start_panel(self) -> None:
        """Show the start panel over an empty untitled canvas only."""
        empty = self.document.path is None and not self.document.workflow.nodes
        show = empty and self.unreadable is None and not self._start_dismissed
        if show and not self.start_panel.isVisible():
            self.start_panel.set_recent(self.recent.files())
            self.start_panel.raise_()
        self.start_panel.setVisible(show)

    def _on_start_new(self) -> None:
        self._start_dismissed = True
        self.start_panel.hide()
        self.palette_widget.setFocus()

    def _show_hint(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _on_clean_changed(self, clean: bool) -> None:
        if clean:
            self.document.mark_clean()
        self._update_title()

    def _update_title(self) -> None:
        name = self.document.workflow.metadata.name
        where = self.document.path.name if self.document.path else "unsaved"
        if self.unreadable is not None:
            name, where = self.unreadable.path.name, "cannot be opened"
        self.setWindowTitle(f"{name} — {where}[*] — Interlock")
        self.setWindowModified(not self.undo_stack.isClean())
        self.actions_.revert.setEnabled(self.document.path is not None)
        self.actions_.save.setEnabled(self.unreadable is None)
        self.actions_.save_as.setEnabled(self.unreadable is None)

    def tab_label(self) -> str:
        """The document's name on its tab: the file's, else the workflow's; `*` when
        edited since it was saved."""
        if self.unreadable is not None:
            name = self.unreadable.path.name
        elif self.document.path is not None:
            name = self.document.path.name.removesuffix(".interlock.yaml")
        else:
            name = self.document.workflow.metadata.name or "Untitled"
        return f"{name} *" if self.isWindowModified() else name

    def tab_tooltip(self) -> str:
        path = self.unreadable.path if self.unreadable is not None else self.document.path
        return str(path) if path is not None else "Not saved yet"

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About Interlock",
            "<b>Interlock</b><br>Local-first, governed AI workflow orchestration.",
        )


class _AfterFirstPaint(QObject):
    """Calls `callback` once, from the event loop, after `widget`'s first paint."""

    def __init__(self, widget: QWidget, callback: Callable[[], object]) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._callback)
        return False
