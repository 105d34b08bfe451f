"""Installs the workflow settings panel into the main window: a dock tabbed with the
Inspector (View > Panels) and Workflow > Settings… (Ctrl+Shift+W) to bring it forward."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from desktop.workflow_settings.panel import WorkflowSettingsPanel

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


WIDTH = 460
"""The dock's width when Workflow > Settings… shows it, at least."""


class WorkflowSettingsUi(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel = WorkflowSettingsPanel(window.document, window.undo_stack)
        self.dock = QDockWidget("Workflow Settings", window)
        self.dock.setObjectName("workflow_settings_dock")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        inspector = window.inspector.parentWidget()
        self.inspector_dock = inspector if isinstance(inspector, QDockWidget) else None
        if self.inspector_dock is not None:
            window.tabifyDockWidget(self.inspector_dock, self.dock)
            self.inspector_dock.raise_()
        window.scene.selectionChanged.connect(self._on_selection)
        if window.panels_menu is not None:
            window.panels_menu.addAction(self.dock.toggleViewAction())
        self.action = QAction("Workflow &Settings…", window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+W"))
        self.action.setToolTip("Name, declared inputs and policy of this workflow")
        self.action.triggered.connect(lambda _=False: self.show_panel())
        menu = window.workflow_menu
        if menu is not None:
            first = menu.actions()[0] if menu.actions() else None
            if first is not None:
                menu.insertAction(first, self.action)
                menu.insertSeparator(first)
            else:
                menu.addAction(self.action)

    def show_panel(self, section: str = "") -> None:
        """Show the dock in front (on `section`'s tab when given)."""
        self.dock.show()
        self.dock.raise_()
        if self.dock.width() < WIDTH:  # room for the inputs table's columns
            self.window.resizeDocks([self.dock], [WIDTH], Qt.Orientation.Horizontal)
        if section:
            self.panel.show_section(section)
        self.panel.setFocus()

    def _on_selection(self) -> None:
        """A node picked on the canvas is to be edited: its Inspector comes to the front."""
        inspector = self.inspector_dock
        if (
            inspector is not None
            and len(self.window.scene.selected_node_ids()) == 1
            and inspector in self.window.tabifiedDockWidgets(self.dock)
            and not self.dock.visibleRegion().isEmpty()
        ):
            inspector.raise_()

    def close(self) -> None:
        self.window.scene.selectionChanged.disconnect(self._on_selection)
        self.panel.detach()
