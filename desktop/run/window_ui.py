"""Installs the run UI into the main window: Run, Approvals, Runs and Trace docks, the run
status bar, the end-of-run summary, the dialog approver, run commands in the Workflow menu
and toolbar, and the settings applied at start. Views observe the RunController's state
through the overlay; the Runs and Approvals panels read the store once the session's
warm-up has opened it. Opening another file forgets the last run's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QPointF, QRect, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QWidget

from desktop.dialogs.settings_dialog import AppSettings, apply_data_dir, apply_theme
from desktop.panels.approvals_panel import ApprovalsPanel
from desktop.panels.runs_panel import RunsPanel
from desktop.panels.trace_view import TraceView
from desktop.run.approver import DialogApprover
from desktop.run.commands import RunCommands
from desktop.run.node_run_view import NodeRunView
from desktop.run.status_widget import RunStatusWidget
from desktop.run.summary_view import RunSummaryView
from engine.workflow.changes import Change, DocumentReset

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

TRACE_MS = 300


class RunUi(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller = window.run_controller
        self.settings_values = AppSettings.load(window.settings)
        apply_data_dir(self.settings_values)
        if self.settings_values.theme != "system":
            apply_theme(self.settings_values.theme)
        self.approver = DialogApprover(window, self.node_on_screen)
        controller.approver = self.approver
        self.commands = RunCommands(window)
        self.status = RunStatusWidget()
        window.statusBar().addPermanentWidget(self.status)
        self.summary = RunSummaryView(window.view, self.commands.export_menu, self.canvas_obstacles)
        self.previews = QAction("Output &Previews on Nodes", window, checkable=True, checked=True)
        self.previews.setToolTip("Show each finished node's output under it (click to expand)")
        self.previews.toggled.connect(controller.overlay.set_previews)

        self.node_view = NodeRunView()
        self.approvals = ApprovalsPanel(controller, self.node_on_screen)
        self.runs = RunsPanel()
        self.trace = TraceView()
        self.run_dock = self._dock(
            "Run", "run_dock", self.node_view, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.approvals_dock = self._dock(
            "Approvals", "approvals_dock", self.approvals, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.runs_dock = self._dock(
            "Runs", "runs_dock", self.runs, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.trace_dock = self._dock(
            "Trace", "trace_dock", self.trace, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self._tabify("inspector_dock", self.run_dock)
        self._tabify("problems_dock", self.runs_dock, self.trace_dock)
        self._add_actions()

        self._trace_timer = QTimer(self, singleShot=True, interval=TRACE_MS)
        self._trace_timer.timeout.connect(self._refresh_trace)
        controller.overlay.flushed.connect(self._on_flushed)
        controller.started.connect(self._on_started)
        controller.finished.connect(self._on_finished)
        controller.applied.connect(self._on_applied)
        controller.session_ready.connect(self._on_session_ready, Qt.ConnectionType.QueuedConnection)
        window.scene.selectionChanged.connect(self._on_selection)
        self.runs.open_requested.connect(self.commands.open_replay)
        self.runs.open_requested.connect(self.commands.choose_run)
        self.runs.table.itemSelectionChanged.connect(self._on_runs_selection)
        self.runs.compare_requested.connect(self.commands.compare)
        self.runs.export_requested.connect(self.commands.export_run)
        self.runs.resume_requested.connect(controller.resume)
        self.apply_settings(theme=False)
        self._closing = False
        self._summary_due = False
        self._unsubscribe = window.document.subscribe(self._on_document_change)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        if self.window.panels_menu is not None:
            self.window.panels_menu.addAction(dock.toggleViewAction())
        return dock

    def _tabify(self, first_name: str, *docks: QDockWidget) -> None:
        first = self.window.findChild(QDockWidget, first_name)
        if first is None:
            return
        for dock in docks:
            self.window.tabifyDockWidget(first, dock)
        first.raise_()

    def _add_actions(self) -> None:
        c = self.commands
        menu = self.window.workflow_menu
        if menu is not None:
            for act in (c.run_with_inputs, c.rerun, c.resume):
                menu.addAction(act)
            menu.addSeparator()
            menu.addAction(c.offline)
            menu.addAction(self.previews)
            menu.addAction(c.export)
            menu.addSeparator()
            menu.addAction(c.models)
            menu.addAction(c.settings)
        bar = self.window.main_toolbar
        if bar is not None:
            for act in (c.rerun, c.resume):
                bar.addAction(act)
            bar.addSeparator()
            bar.addAction(c.offline)

    def _on_session_ready(self) -> None:
        """The warm-up ended (in its thread): the panels read the store now; if it could not
        be opened, the Approvals panel says why."""
        session = self.controller.session
        if session.store_ready:
            self.runs.set_store(session.store)
        self.approvals.refresh()
        self.commands.refresh_resume()

    def _on_runs_selection(self) -> None:
        ids = self.runs.selected_ids()
        if len(ids) == 1:  # Resume continues the run picked here
            self.commands.choose_run(ids[0])

    # -- settings ------------------------------------------------------------------------

    def apply_settings(self, theme: bool = True) -> None:
        values = AppSettings.load(self.window.settings)
        self.controller.default_parallelism = values.concurrency or None
        if values.offline != self.settings_values.offline or not theme:
            self.commands.offline.setChecked(values.offline)
        if theme and values.theme != self.settings_values.theme:
            apply_theme(values.theme)
        self.settings_values = values

    # -- observing the run ---------------------------------------------------------------

    def _budget(self) -> float | None:
        return self.window.document.workflow.policy.budget.max_cost_usd

    def _on_started(self, _: str) -> None:
        self._summary_due = False
        self.summary.hide()
        self.node_view.show_node(self.controller.state, self._selected())
        self._refresh_status()
        self._refresh_trace()

    def _on_finished(self, _: object) -> None:
        self._refresh_trace()
        self._refresh_status()  # the workers' last items may have ended after the last flush
        self._summary_due = True
        self._show_summary()

    def _on_applied(self, node_id: str | None) -> None:
        if node_id is None and self._summary_due:  # run_finished may be folded after
            self._show_summary()

    def _show_summary(self) -> None:
        """Once the run's end is folded: the end-of-run summary."""
        state = self.controller.state
        if state.run_id and state.started is not None and state.finished is not None:
            self._summary_due = False
            self.summary.show_run(state, len(self.window.document.nodes))

    def _on_document_change(self, change: Change) -> None:
        if isinstance(change, DocumentReset):
            self.forget_run()

    def forget_run(self) -> None:
        """Another file was opened (or this one reverted): the last run's states, badges,
        status, summary and run buttons no longer apply to what the canvas shows."""
        if self.controller.running:
            return
        self.controller.forget_last_run()
        self._summary_due = False
        self.summary.hide()
        self.commands.choose_run(None)
        self.commands.refresh_buttons()
        self.node_view.show_node(self.controller.state, None)
        self._refresh_status()
        self._refresh_trace()

    def _on_flushed(self, changed: set[str] | None) -> None:
        self.node_view.refresh(changed)
        self._refresh_status()
        if not self._trace_timer.isActive():
            self._trace_timer.start()

    def _refresh_status(self) -> None:
        total = len(self.window.document.nodes)
        self.status.show_state(self.controller.state, total, self._budget())
        self.status.show_place(self.controller.cluster, self.controller.cluster_start)

    def _refresh_trace(self) -> None:
        order = [n.id for n in self.window.document.nodes]
        self.trace.set_state(self.controller.state, order, self._budget())

    def _selected(self) -> str | None:
        ids = self.window.scene.selected_node_ids()
        return ids[0] if len(ids) == 1 else None

    def _on_selection(self) -> None:
        node_id = self._selected()
        if node_id != self.node_view.node_id:
            self.node_view.show_node(self.controller.state, node_id)

    def node_on_screen(self, node_id: str, to_corner: bool = False) -> QRect | None:
        """The node (with its run badge and preview) on screen, scrolled into view first;
        `to_corner`: scrolled to the canvas's top-left corner (room for a dialog)."""
        item = self.window.scene.node_items.get(node_id)
        if item is None or not self.window.view.isVisible():
            return None
        view = self.window.view
        box = item.sceneBoundingRect() | item.mapRectToScene(item.childrenBoundingRect())
        if to_corner:
            viewport = view.mapToScene(view.viewport().rect()).boundingRect()
            margin = QPointF(40, 40) / max(view.transform().m11(), 0.01)
            view.centerOn(
                box.topLeft() - margin + QPointF(viewport.width() / 2, viewport.height() / 2)
            )
        else:
            view.ensureVisible(box, 40, 40)
        shown = view.mapFromScene(box).boundingRect()
        return QRect(view.viewport().mapToGlobal(shown.topLeft()), shown.size())

    def canvas_obstacles(self) -> list[QRect]:
        """What the run summary should not cover, in the canvas view's coordinates: each
        node (with its run badge and preview) and the minimap."""
        view = self.window.view
        offset = view.viewport().geometry().topLeft()
        found = []
        for item in self.window.scene.node_items.values():
            box = item.sceneBoundingRect() | item.mapRectToScene(item.childrenBoundingRect())
            found.append(view.mapFromScene(box).boundingRect().translated(offset))
        minimap = view.minimap
        if minimap.isVisible():
            found.append(QRect(minimap.mapTo(view, QPoint(0, 0)), minimap.size()))
        return found

    def show_node_run(self, node_id: str) -> None:
        self.window.scene.select_nodes([node_id])
        self.node_view.show_node(self.controller.state, node_id)
        self.run_dock.show()
        self.run_dock.raise_()

    # -- closing -------------------------------------------------------------------------

    def ready_to_close(self) -> bool:
        """False while a run is winding down: open approval dialogs are closed undecided
        (their requests stay pending and the run pauses), then the run is stopped and the
        window closes itself once it has."""
        if not self.controller.running:
            return True
        if not self._closing:
            self._closing = True
            for dialog in list(self.approver.dialogs):
                dialog.reject()
            QTimer.singleShot(200, self.controller.stop)
            self.controller.running_changed.connect(self._close_when_stopped)
        return False

    def _close_when_stopped(self, running: bool) -> None:
        if not running:
            QTimer.singleShot(0, self.window.close)

    def close(self) -> None:
        self._unsubscribe()
        self.window.scene.selectionChanged.disconnect(self._on_selection)
        self._trace_timer.stop()
