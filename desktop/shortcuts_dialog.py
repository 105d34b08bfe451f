"""Help → Keyboard Shortcuts: every QAction of the window with its keys, read from the
actions themselves so the list is never out of date, plus the mouse gestures."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

TABS = [
    ("Next tab", "Ctrl+Tab, Ctrl+PgDown"),
    ("Previous tab", "Ctrl+Shift+Tab, Ctrl+PgUp"),
]
"""The window's own keys (its documents' tabs), which are not menu actions."""

MOUSE = [
    ("Pan", "Middle-drag, or Space + drag"),
    ("Zoom around the cursor", "Wheel, Ctrl + wheel, pinch"),
    ("Connect ports", "Drag from a port to a port"),
    ("Move or detach an edge", "Drag its input end to another input, or onto the canvas"),
    ("Quick add a node", "Double-click the empty canvas"),
    ("Add a node already connected", "Drag from a port, let go on the empty canvas"),
    ("Commands for a node, edge or the canvas", "Right-click it"),
    ("Rename a node / frame / note", "Double-click its title"),
    ("Move a frame with its nodes", "Drag the frame's title bar"),
    ("Select several", "Drag a rubber band, or Ctrl + click"),
]


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, command, keys) for every action with a shortcut, merged by command name."""
    where: dict[int, str] = {}
    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            _walk(menu, top.text().replace("&", ""), where)
    menus: dict[str, str] = {}
    merged: dict[str, list[str]] = {}
    for act in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts()]
        name = act.text().replace("&", "").rstrip("…").strip()
        if not name or not any(keys):
            continue
        # The same command on a menu and on the canvas (plain keys) shows once.
        if menus.get(name, "Canvas") == "Canvas":
            menus[name] = where.get(id(act), "Canvas")
        bucket = merged.setdefault(name, [])
        bucket.extend(k for k in keys if k and k not in bucket)
    return sorted((menus[name], name, ", ".join(keys)) for name, keys in merged.items())


def _walk(menu: QMenu, path: str, where: dict[int, str]) -> None:
    for act in menu.actions():
        sub = act.menu()
        if isinstance(sub, QMenu):
            _walk(sub, f"{path} > {act.text().replace('&', '')}", where)
        else:
            where.setdefault(id(act), path)


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 620)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter…")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Command", "Shortcut"])
        self.tree.setColumnWidth(0, 300)
        self.tree.setRootIsDecorated(True)
        groups: dict[str, QTreeWidgetItem] = {}
        for menu, name, keys in shortcut_rows(window):
            group = groups.get(menu)
            if group is None:
                group = groups[menu] = QTreeWidgetItem(self.tree, [menu])
                group.setFirstColumnSpanned(True)
            QTreeWidgetItem(group, [name, keys])
        tabs = QTreeWidgetItem(self.tree, ["Tabs"])
        for name, keys in TABS:
            QTreeWidgetItem(tabs, [name, keys])
        mouse = QTreeWidgetItem(self.tree, ["Mouse"])
        for name, how in MOUSE:
            QTreeWidgetItem(mouse, [name, how])
        self.tree.expandAll()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._on_filter)

    def rows(self) -> list[tuple[str, str]]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            if group is None:
                continue
            for j in range(group.childCount()):
                child = group.child(j)
                if child is not None and not child.isHidden():
                    out.append((child.text(0), child.text(1)))
        return out

    def _on_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            if group is None:
                continue
            for j in range(group.childCount()):
                child = group.child(j)
                if child is not None:
                    hay = f"{child.text(0)} {child.text(1)}".lower()
                    child.setHidden(bool(needle) and needle not in hay)
