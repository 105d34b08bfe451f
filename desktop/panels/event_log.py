"""The trace's event log: every event of a run in a table, filterable by type and node and
searchable over its payload."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.run.qt import named
from engine.trace.events import RunEvent

COLUMNS = ("seq", "t", "type", "node", "data")
Index = QModelIndex | QPersistentModelIndex
ANY = "(all)"


class EventTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[RunEvent] = []
        self.t0 = 0.0
        self._text: list[str] = []

    def set_events(self, events: list[RunEvent]) -> None:
        n = len(self.events)
        if len(events) >= n and (n == 0 or events[n - 1] is self.events[-1]):
            new = events[n:]
            if not new:
                return
            first = len(self.events)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self.events = list(events)
            self._text += [_data_text(e) for e in new]
            self.endInsertRows()
        else:
            self.beginResetModel()
            self.events = list(events)
            self._text = [_data_text(e) for e in events]
            self.endResetModel()
        self.t0 = self.events[0].ts if self.events else 0.0

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        event = self.events[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            column = index.column()
            if column == 0:
                return event.seq
            if column == 1:
                return f"{event.ts - self.t0:8.3f}s"
            if column == 2:
                return _type_text(event)
            if column == 3:
                return event.node_id or ""
            text = self._text[index.row()]
            return text[:300] if role == Qt.ItemDataRole.DisplayRole else text[:3000]
        return None


class EventFilter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.kind = ANY
        self.node = ANY
        self.search = ""

    def set_filter(self, kind: str, node: str, search: str) -> None:
        self.beginFilterChange()
        self.kind, self.node, self.search = kind, node, search.lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, EventTableModel)
        event = model.events[row]
        if self.kind != ANY and event.type != self.kind:
            return False
        if self.node != ANY and (event.node_id or "") != self.node:
            return False
        if self.search:
            hay = f"{event.type} {event.node_id or ''} {model._text[row]}".lower()
            return self.search in hay
        return True


class EventLogWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EventTableModel()
        self.proxy = EventFilter()
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.kind = named(QComboBox(), "event_type")
        self.node = named(QComboBox(), "event_node")
        self.search = named(QLineEdit(placeholderText="Search events…"), "event_search")
        self.search.setClearButtonEnabled(True)
        for combo in (self.kind, self.node):
            combo.addItem(ANY)
            combo.currentTextChanged.connect(self._apply)
            bar.addWidget(combo)
        self.search.textChanged.connect(self._apply)
        bar.addWidget(self.search, 1)
        layout.addLayout(bar)
        self.table = named(QTableView(), "event_table")
        self.table.setModel(self.proxy)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        layout.addWidget(self.table)

    def set_events(self, events: list[RunEvent]) -> None:
        self.model.set_events(events)
        self._refill(self.kind, sorted({e.type for e in events}))
        self._refill(self.node, sorted({e.node_id for e in events if e.node_id}))
        self._fit_type_column({_type_text(e) for e in events})

    def _fit_type_column(self, names: set[str]) -> None:
        """Widen the type column to its widest name. (`resizeColumnToContents` asks the
        model for up to 1,000 rows while the table is hidden: 12-20 ms of Python calls on
        the event loop at every trace refresh of a run; this is well under 1 ms.)"""
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        width = max((metrics.horizontalAdvance(name) for name in names), default=0) + 16
        if width > header.sectionSize(2):
            header.resizeSection(2, width)

    @staticmethod
    def _refill(combo: QComboBox, values: list[str]) -> None:
        have = [combo.itemText(i) for i in range(1, combo.count())]
        if have != values:
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([ANY, *values])
            combo.setCurrentText(current if current in values else ANY)
            combo.blockSignals(False)

    def _apply(self) -> None:
        self.proxy.set_filter(self.kind.currentText(), self.node.currentText(), self.search.text())

    def visible_rows(self) -> int:
        return self.proxy.rowCount()


def _data_text(event: RunEvent) -> str:
    payload = event.payload()
    return json.dumps(payload, ensure_ascii=False, default=repr) if payload else ""


def _type_text(event: RunEvent) -> str:
    if event.type != "unknown":
        return event.type
    return str(getattr(event, "original_type", "unknown"))
