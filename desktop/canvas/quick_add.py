"""The quick-add popup: type to filter node kinds, Enter adds the chosen one where the
popup was opened (double-click on empty canvas, or Tab)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from desktop.resources import icon
from engine.nodes.base import NodeRegistry

KIND_ROLE = Qt.ItemDataRole.UserRole


class QuickAddPopup(QFrame):
    chosen = Signal(str)

    def __init__(self, registry: NodeRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("quick_add")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add node…")
        self.list = QListWidget(self)
        self.list.setIconSize(QSize(18, 18))
        for kind in registry.kinds():
            item = QListWidgetItem(icon(kind.icon), f"{kind.name} — {kind.description}")
            item.setData(KIND_ROLE, kind.name)
            item.setToolTip(kind.description)
            self.list.addItem(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(360, 300)
        self.only: set[str] | None = None
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._choose)
        self.list.itemClicked.connect(self._choose)

    def popup(self, global_pos: QPoint, only: list[str] | None = None) -> None:
        """Show the popup at `global_pos`, listing the kinds in `only` (default all)."""
        self.only = set(only) if only is not None else None
        self.search.setPlaceholderText("Add node…" if only is None else "Add connected node…")
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def visible_kinds(self) -> list[str]:
        return [
            str(self.list.item(i).data(KIND_ROLE))
            for i in range(self.list.count())
            if not self.list.item(i).isHidden()
        ]

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        shown: list[QListWidgetItem] = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            hidden = bool(needle) and needle not in item.text().lower()
            hidden = hidden or (self.only is not None and item.data(KIND_ROLE) not in self.only)
            item.setHidden(hidden)
            if not hidden:
                shown.append(item)
        # Prefer a kind whose name starts with what was typed ("te" → template).
        best = next((i for i in shown if str(i.data(KIND_ROLE)).startswith(needle)), None)
        best = best or (shown[0] if shown else None)
        if best is not None:
            self.list.setCurrentItem(best)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and isinstance(event, QKeyEvent):
            if event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Up,
                Qt.Key.Key_Down,
                Qt.Key.Key_PageUp,
                Qt.Key.Key_PageDown,
            ):
                self.list.keyPressEvent(event)
                return True
            if event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Return,
                Qt.Key.Key_Enter,
            ):
                current = self.list.currentItem()
                if current is not None and not current.isHidden():
                    self._choose(current)
                return True
        return super().eventFilter(watched, event)

    def _choose(self, item: QListWidgetItem) -> None:
        self.hide()
        self.chosen.emit(str(item.data(KIND_ROLE)))
