"""Canvas commands as QActions (so they have shortcuts and appear in menus and in the
shortcuts dialog): quick-add, rename, collapse, fit selection, auto-layout, frames, notes,
minimap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from desktop.canvas import arrange

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


@dataclass
class CanvasActions:
    quick_add: QAction
    rename: QAction
    zoom_in: QAction
    zoom_out: QAction
    zoom_selection: QAction
    auto_layout: QAction
    collapse: QAction
    add_frame: QAction
    add_note: QAction
    minimap: QAction
    shortcuts: QAction


def install_canvas_actions(window: MainWindow) -> CanvasActions:
    view, scene = window.view, window.scene

    def action(text: str, slot: Callable[[], object], *keys: str, canvas: bool = True) -> QAction:
        act = QAction(text, window)
        act.setShortcuts([QKeySequence(k) for k in keys])
        act.triggered.connect(lambda _=False: slot())
        if canvas:  # plain keys must not fire while typing in the inspector
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            view.addAction(act)
        else:
            window.addAction(act)
        return act

    acts = CanvasActions(
        quick_add=action("&Quick Add Node…", view.open_quick_add, "Tab", "Ctrl+Shift+A"),
        rename=action("Re&name", view.rename_selected, "F2"),
        zoom_in=action("Zoom &In", view.zoom_in, "+", "="),
        zoom_out=action("Zoom &Out", view.zoom_out, "-"),
        zoom_selection=action("Zoom to &Selection", view.zoom_selection, "F"),
        auto_layout=action("Auto &Layout", lambda: arrange.auto_layout(scene), "Ctrl+L"),
        collapse=action(
            "&Collapse or Expand Nodes", lambda: arrange.toggle_collapsed(scene), "Alt+C"
        ),
        add_frame=action(
            "Add &Frame",
            lambda: arrange.add_annotation(scene, "frame", view.visible_center()),
            "Ctrl+G",
        ),
        add_note=action(
            "Add N&ote",
            lambda: arrange.add_annotation(scene, "note", view.visible_center()),
            "Ctrl+Shift+N",
        ),
        minimap=action("&Minimap", lambda: None, "Ctrl+M", canvas=False),
        shortcuts=action(
            "&Keyboard Shortcuts", lambda: show_shortcuts(window), "Ctrl+/", canvas=False
        ),
    )
    acts.minimap.setCheckable(True)
    acts.minimap.setChecked(True)
    acts.minimap.toggled.connect(view.minimap.set_wanted)
    _add_to_menus(window, acts)
    return acts


def show_shortcuts(window: MainWindow) -> None:
    from desktop.shortcuts_dialog import ShortcutsDialog

    ShortcutsDialog(window).exec()


def _menu(window: MainWindow, title: str) -> QMenu | None:
    for act in window.menuBar().actions():
        if act.text().replace("&", "") == title and act.menu() is not None:
            menu = act.menu()
            return menu if isinstance(menu, QMenu) else None
    return None


def _add_to_menus(window: MainWindow, a: CanvasActions) -> None:
    edit, view, help_ = (_menu(window, t) for t in ("Edit", "View", "Help"))
    if edit is not None:
        edit.addSeparator()
        for item in (a.quick_add, a.rename, a.collapse, a.add_frame, a.add_note, a.auto_layout):
            edit.addAction(item)
    if view is not None:
        panels = window.panels_menu.menuAction() if window.panels_menu is not None else None
        for item in (a.zoom_selection, a.minimap):
            view.insertAction(panels, item) if panels is not None else view.addAction(item)
    if help_ is not None:
        first = help_.actions()[0] if help_.actions() else None
        help_.insertAction(first, a.shortcuts) if first is not None else help_.addAction(
            a.shortcuts
        )
