"""The command palette (Ctrl+K): every action of the window, from its menus, toolbars and
canvas, found by typing a few letters of its name or menu; Enter runs it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QLineEdit,
    QMainWindow,
    QMenu,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

NAV_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


@dataclass(frozen=True)
class Command:
    action: QAction
    name: str
    path: str
    """Where it lives: "Edit", "File ▸ Open Recent", "Toolbar" or "Canvas"."""
    keys: str


def clean(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def commands_of(window: QMainWindow, exclude: QAction | None = None) -> list[Command]:
    """Every triggerable action of `window`, once each, in menu order then the rest."""
    found: dict[int, Command] = {}

    def add(act: QAction, path: str) -> None:
        if act is exclude or act.isSeparator() or id(act) in found or act.menu() is not None:
            return
        name = clean(act.text())
        if not name:
            return
        keys = ", ".join(
            k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts()
        )
        found[id(act)] = Command(act, name, path, keys)

    def walk(menu: QMenu, path: str) -> None:
        for act in menu.actions():
            sub = act.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{path} ▸ {clean(act.text())}")
            else:
                add(act, path)

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, clean(top.text()))
    for bar in window.findChildren(QToolBar):
        for act in bar.actions():
            add(act, "Toolbar")
    by_name = {c.name: key for key, c in found.items()}
    for act in window.findChildren(QAction):
        if not act.shortcuts() or id(act) in found:
            continue
        # Canvas keys: a command a menu lists already shows its extra keys ("Zoom In"
        # takes Ctrl++ from the menu, + on the canvas); others are listed as "Canvas".
        same = by_name.get(clean(act.text()))
        if same is None:
            add(act, "Canvas")
            continue
        command = found[same]
        extra = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts()]
        keys = [k for k in command.keys.split(", ") if k]
        keys += [k for k in extra if k not in keys]
        found[same] = replace(command, keys=", ".join(keys))
    return list(found.values())


def match_score(needle: str, command: Command) -> tuple[int, ...] | None:
    """None unless `needle`'s letters occur in order in the name (or path and name); lower
    is better: a name that starts with it, then holds it whole, then fewest gaps, then
    the shallower menu and the shorter name ("Workflow ▸ Run" before "Panels ▸ Runs")."""
    needle = needle.strip().lower()
    name = command.name.lower()
    depth = command.path.count("▸")
    if not needle:
        return (0, 0, 0, 0, 0)
    for hay, rank in ((name, 0), (f"{command.path} {name}".lower(), 1)):
        gaps = _subsequence_gaps(needle.replace(" ", ""), hay)
        if gaps is not None:
            whole = 0 if name.startswith(needle) else 1 if needle in name else 2
            return (rank, whole, gaps, depth, len(name))
    return None


def _subsequence_gaps(needle: str, hay: str) -> int | None:
    gaps, at, last = 0, 0, -1
    for ch in needle:
        found = hay.find(ch, at)
        if found < 0:
            return None
        if last >= 0 and found != last + 1:
            gaps += 1
        last, at = found, found + 1
    return gaps


class CommandPalettePopup(QFrame):
    """A popup over the window: a search field above the matching commands and keys."""

    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window, Qt.WindowType.Popup)
        self.setObjectName("command_palette")
        self.window_ = window
        self.own_action: QAction | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Type a command…")
        self.list = QTreeWidget(self)
        self.list.setColumnCount(2)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAllColumnsShowFocus(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(600, 400)
        self.list.setColumnWidth(0, 420)
        self.commands: list[Command] = []
        self.search.textChanged.connect(self._on_filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._on_chosen)
        self.list.itemClicked.connect(self._on_chosen)

    def open(self) -> None:
        """Show the palette near the top of the window, listing what is there now."""
        self.commands = commands_of(self.window_, exclude=self.own_action)
        self.search.clear()
        self._on_filter("")
        centre = self.window_.geometry().center()
        top = self.window_.mapToGlobal(QPoint(0, 60)).y()
        self.move(centre.x() - self.width() // 2, top)
        self.show()
        self.raise_()
        self.search.setFocus()

    def shown(self) -> list[tuple[str, bool]]:
        """(label, enabled) of each listed command, in order; the label is "Menu ▸ Name"
        followed by its keys, if any."""
        out = []
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item is not None:
                label = f"{item.text(0)}    {item.text(1)}".rstrip()
                out.append((label, bool(item.flags() & Qt.ItemFlag.ItemIsEnabled)))
        return out

    def _on_filter(self, text: str) -> None:
        scored = [(match_score(text, c), i, c) for i, c in enumerate(self.commands)]
        hits = sorted((s, i, c) for s, i, c in scored if s is not None)
        # Enabled commands first; a disabled one is listed greyed, so it is found but not run.
        hits.sort(key=lambda hit: not hit[2].action.isEnabled())
        self.list.clear()
        for _, index, command in hits:
            where = f"{command.path} ▸ " if command.path else ""
            item = QTreeWidgetItem(self.list, [f"{where}{command.name}", command.keys])
            item.setData(0, Qt.ItemDataRole.UserRole, index)
            if command.action.toolTip() and command.action.toolTip() != command.name:
                item.setToolTip(0, command.action.toolTip())
            if not command.action.isEnabled():
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
        first = self.list.topLevelItem(0)
        if first is not None and first.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.list.setCurrentItem(first)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and isinstance(event, QKeyEvent):
            if event.type() == QEvent.Type.KeyPress and event.key() in NAV_KEYS:
                self.list.keyPressEvent(event)
                return True
            if event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Return,
                Qt.Key.Key_Enter,
            ):
                current = self.list.currentItem()
                if current is not None:
                    self._on_chosen(current)
                return True
        return super().eventFilter(watched, event)

    def _on_chosen(self, item: QTreeWidgetItem) -> None:
        if not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return
        command = self.commands[int(item.data(0, Qt.ItemDataRole.UserRole))]
        self.hide()
        if command.action.isEnabled():
            command.action.trigger()


def install_command_palette(window: QMainWindow) -> CommandPalettePopup:
    """The popup and its "Command Palette…" action (Ctrl+K, in the Help menu)."""
    popup = CommandPalettePopup(window)
    act = QAction("&Command Palette…", window)
    act.setObjectName("command_palette_action")
    act.setShortcut(QKeySequence("Ctrl+K"))
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.triggered.connect(lambda _=False: popup.open())
    popup.own_action = act
    window.addAction(act)
    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu) and clean(top.text()) == "Help":
            first = menu.actions()[0] if menu.actions() else None
            menu.insertAction(first, act) if first is not None else menu.addAction(act)
    return popup
