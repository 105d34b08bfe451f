"""The node palette: every registered node kind with icon and description, searchable;
double-click adds one, dragging drops one onto the canvas."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.canvas.view import KIND_MIME
from desktop.palette_delegate import DESCRIPTION_ROLE, NAME_ROLE, KindDelegate
from desktop.resources import icon
from engine.nodes.base import NodeRegistry

KIND_ROLE = NAME_ROLE


class _KindList(QListWidget):
    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # type: ignore[override]
        data = QMimeData()
        if items:
            data.setData(KIND_MIME, str(items[0].data(KIND_ROLE)).encode())
        return data

    def mimeTypes(self) -> list[str]:
        return [KIND_MIME]


class NodePaletteWidget(QWidget):
    kind_activated = Signal(str)
    """The user asked to add a node of this kind at the view centre."""

    def __init__(self, registry: NodeRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search nodes…")
        self.search.setClearButtonEnabled(True)
        self.list = _KindList(self)
        self.list.setIconSize(QSize(22, 22))
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.list.setItemDelegate(KindDelegate(self.list))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setUniformItemSizes(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        for kind in registry.kinds():
            item = QListWidgetItem(icon(kind.icon), f"{kind.name} {kind.description}")
            item.setData(KIND_ROLE, kind.name)
            item.setData(DESCRIPTION_ROLE, kind.description)
            item.setToolTip(f"<b>{kind.name}</b><br>{kind.description}")
            self.list.addItem(item)
        self.search.textChanged.connect(self._on_search)
        self.search.returnPressed.connect(self._on_return)
        self.list.itemDoubleClicked.connect(self._on_activated)

    def kinds_shown(self) -> list[str]:
        return [
            str(self.list.item(i).data(KIND_ROLE))
            for i in range(self.list.count())
            if not self.list.item(i).isHidden()
        ]

    def item_for(self, kind: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(KIND_ROLE) == kind:
                return item
        return None

    def _on_search(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def _on_return(self) -> None:
        shown = self.kinds_shown()
        if shown:
            self.kind_activated.emit(shown[0])

    def _on_activated(self, item: QListWidgetItem) -> None:
        self.kind_activated.emit(str(item.data(KIND_ROLE)))
