"""Right-click menus on the canvas: the empty canvas, a node (with the run entries), an
edge and a frame or note. Entries are the window's own actions or undo commands, so
each edit is one undo step and its shortcut is shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF
from PySide6.QtGui import QAction, QContextMenuEvent, QKeySequence
from PySide6.QtWidgets import QGraphicsItem, QMenu

from desktop.canvas import arrange
from desktop.canvas.annotation_item import AnnotationItem
from desktop.canvas.commands import DeleteCommand
from desktop.canvas.edge_item import EdgeItem
from desktop.canvas.node_item import NodeItem
from desktop.canvas.reroute import RerouteHandle, add_point, remove_point
from desktop.subworkflow_open import child_file

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


class CanvasMenus(QObject):
    """Shows the menu for what is under a right-click on the canvas."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.menu: QMenu | None = None
        """The menu last shown (tests pick its entries)."""
        window.view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            if self.menu is not None:
                self.menu.deleteLater()  # with the entries made for it
            self.menu = self.menu_at(event.pos())
            self.menu.popup(event.globalPos())
            return True
        return False

    def menu_at(self, pos: QPoint) -> QMenu:
        """The menu for what is under `pos` (viewport pixels)."""
        item: QGraphicsItem | None = self.window.view.itemAt(pos)
        if isinstance(item, RerouteHandle):
            return self._reroute_menu(item)
        while item is not None and not isinstance(item, NodeItem | EdgeItem | AnnotationItem):
            item = item.parentItem()
        if isinstance(item, NodeItem):
            return self._node_menu(item.node_id)
        if isinstance(item, EdgeItem):
            return self._edge_menu(item, self.window.view.mapToScene(pos))
        if isinstance(item, AnnotationItem):
            return self._annotation_menu(item)
        return self._canvas_menu(pos)

    def _select(self, item: QGraphicsItem) -> None:
        """Act on `item`, or on the whole selection when the click is on a part of it."""
        if not item.isSelected():
            self.window.scene.clearSelection()
            item.setSelected(True)

    def _node_menu(self, node_id: str) -> QMenu:
        window = self.window
        self._select(window.scene.node_items[node_id])
        menu = QMenu(window)
        rename = window.canvas_actions.rename
        menu.addAction(rename)
        rename.setEnabled(len(window.scene.selected_node_ids()) == 1)
        menu.aboutToHide.connect(lambda: rename.setEnabled(True))
        a = window.actions_
        for act in (a.duplicate, a.copy, a.delete):
            menu.addAction(act)
        collapsed = window.document.node(node_id).ui.collapsed
        label = "Expand" if collapsed else "Collapse"
        ids = window.scene.selected_node_ids()
        keys = _keys(window.canvas_actions.collapse)
        menu.addAction(
            f"{label}{keys}", lambda: arrange.toggle_collapsed(window.scene, ids, not collapsed)
        )
        if child_file(window.document, node_id) is not None:
            menu.addAction("Open Subworkflow", lambda: window.open_subworkflow(node_id))
        menu.addSeparator()
        window.run_ui.commands.add_node_entries(menu, node_id)
        return menu

    def _reroute_menu(self, handle: RerouteHandle) -> QMenu:
        menu = QMenu(self.window)
        edge_item, index = handle.edge_item, handle.index
        menu.addAction("Remove Reroute Point", lambda: remove_point(edge_item, index))
        return menu

    def _edge_menu(self, item: EdgeItem, at: QPointF) -> QMenu:
        scene = self.window.scene
        self._select(item)
        menu = QMenu(self.window)
        edge = item.edge

        def delete() -> None:
            command = DeleteCommand(scene.document, [], [edge])
            command.setText(f"Delete connection {edge.source} → {edge.target}")
            scene.undo_stack.push(command)

        menu.addAction("Add Reroute Point", lambda: add_point(item, at))
        menu.addAction("Delete Connection", delete)
        return menu

    def _annotation_menu(self, item: AnnotationItem) -> QMenu:
        self._select(item)
        menu = QMenu(self.window)
        keys = _keys(self.window.canvas_actions.rename)
        menu.addAction(f"Edit Text{keys}", lambda: self.window.view.rename_selected())
        menu.addAction(self.window.actions_.delete)
        return menu

    def _canvas_menu(self, pos: QPoint) -> QMenu:
        window = self.window
        view, scene = window.view, window.scene
        at = view.mapToScene(pos)
        menu = QMenu(window)
        c = window.canvas_actions
        menu.addAction(f"Add Node…{_keys(c.quick_add)}", lambda: view.open_quick_add(pos))
        note = f"Add Note{_keys(c.add_note)}"
        menu.addAction(note, lambda: arrange.add_annotation(scene, "note", at))
        menu.addSeparator()
        a = window.actions_
        for act in (a.paste, a.select_all):
            menu.addAction(act)
        menu.addSeparator()
        for act in (a.zoom_fit, c.auto_layout):
            menu.addAction(act)
        return menu


def _keys(act: QAction) -> str:
    """The action's first shortcut as a menu shows it (after a tab), for an entry that
    is not the action itself (it acts at the click, not the mouse or centre)."""
    keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    return f"\t{keys}" if keys else ""
