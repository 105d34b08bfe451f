"""The Runs dock: past runs from the SQLite file, filterable by workflow, status and date,
with duration, tokens and cost; open one in replay, compare two, export, resume, or add
one to a dataset. Runs an evaluation made (one per row) are tagged with it and hidden
unless asked for, so they do not bury the runs made by hand."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.async_loop import loop_running
from desktop.run.ops import EngineOp, OpChanges, op_hub
from desktop.run.qt import named
from engine.store.evaluations import EvaluationStore
from engine.store.protocol import RunRecord, RunStore

HEADERS = ["Started", "Workflow", "Status", "Duration", "Tokens", "Cost", "Run", "Evaluation"]
DATES = {"Any time": None, "Today": 0, "Last 7 days": 7, "Last 30 days": 30}
ALL = "All"
LIMIT = 500
REFRESH_MS = 5000
STATUS_COLORS = {
    "succeeded": "#22a559",
    "failed": "#e0413a",
    "waiting_approval": "#c98a1b",
    "interrupted": "#c98a1b",
}


class _SortItem(QTableWidgetItem):
    def __init__(self, text: str, key: float) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.key < other.key if isinstance(other, _SortItem) else super().__lt__(other)


@dataclass(frozen=True, slots=True)
class EvalRuns:
    """The runs one evaluation made for its rows."""

    eval_id: str
    name: str
    run_ids: frozenset[str]
    final: bool
    """It has ended: its runs are read once."""


def read_runs(
    store: RunStore, known: dict[str, EvalRuns]
) -> tuple[list[RunRecord], dict[str, EvalRuns]]:
    """The recent top-level runs and the evaluations that made any (blocking: call it in a
    worker thread)."""
    runs = [r for r in store.list_runs(limit=LIMIT) if r.parent_run_id is None]
    return runs, evaluation_runs(store, known)


def evaluation_runs(store: RunStore, known: dict[str, EvalRuns]) -> dict[str, EvalRuns]:
    """Each recent evaluation's row runs (blocking: call it in a worker thread); those in
    `known` that had ended are not read again. Judge and validator runs are children of a
    row's run (`parent_run_id`) and are left out of the panel anyway."""
    if not isinstance(store, EvaluationStore):
        return {}
    found: dict[str, EvalRuns] = {}
    for record in store.list_evaluations(limit=LIMIT):
        cached = known.get(record.eval_id)
        if cached is not None and cached.final:
            found[record.eval_id] = cached
            continue
        run_ids = frozenset(r.run_id for r in store.row_results(record.eval_id) if r.run_id)
        final = record.status != "running"
        found[record.eval_id] = EvalRuns(record.eval_id, record.name, run_ids, final)
    return found


def since(days: int | None, now: float | None = None) -> float | None:
    if days is None:
        return None
    now = now if now is not None else time.time()
    midnight = time.mktime((*time.localtime(now)[:3], 0, 0, 0, 0, 0, -1))
    return midnight - days * 86400


class RunsPanel(QWidget):
    open_requested = Signal(str)
    compare_requested = Signal(str, str)
    export_requested = Signal(str)
    resume_requested = Signal(str)
    add_to_dataset_requested = Signal(str)

    def __init__(self, store: RunStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runs_panel")
        self._store = store
        self.runs: list[RunRecord] = []
        self.shown: list[RunRecord] = []
        self.evaluations: dict[str, EvalRuns] = {}
        self.eval_of: dict[str, EvalRuns] = {}
        """Run id -> the evaluation that made it."""
        self._reading = False
        self._read_again = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.workflow = named(QComboBox(), "filter_workflow")
        self.status = named(QComboBox(), "filter_status")
        self.date = named(QComboBox(), "filter_date")
        self.workflow.addItem(ALL)
        self.status.addItem(ALL)
        self.date.addItems(list(DATES))
        for combo in (self.workflow, self.status, self.date):
            combo.currentTextChanged.connect(self._fill)
            bar.addWidget(combo)
        self.hide_evals = named(QCheckBox("Hide evaluation runs"), "hide_eval_runs")
        self.hide_evals.setChecked(True)
        self.hide_evals.setToolTip(
            "Runs an evaluation made for its rows (open them from the Evaluate dock); "
            "shown, they are tagged with their evaluation"
        )
        self.hide_evals.toggled.connect(self._fill)
        bar.addWidget(self.hide_evals)
        bar.addStretch(1)
        self.open_button = named(QPushButton("Open"), "open_run")
        self.compare_button = named(QPushButton("Compare"), "compare_runs")
        self.export_button = named(QPushButton("Export…"), "export_run")
        self.open_button.clicked.connect(lambda: self._emit_one(self.open_requested))
        self.export_button.clicked.connect(lambda: self._emit_one(self.export_requested))
        self.compare_button.clicked.connect(self._compare)
        for button in (self.open_button, self.compare_button, self.export_button):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.table = named(QTableWidget(0, len(HEADERS)), "runs_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.doubleClicked.connect(lambda _: self._emit_one(self.open_requested))
        self.table.itemSelectionChanged.connect(self._enable)
        layout.addWidget(self.table)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        op_hub().changed.connect(self._on_changes)
        self._enable()

    def _on_changes(self, changes: OpChanges) -> None:
        if changes.runs:
            self.refresh()

    def set_store(self, store: RunStore) -> None:
        self._store = store
        self.refresh()

    def refresh(self) -> None:
        """Read the runs (and which evaluations made them) in a worker thread; the table
        follows when the read ends. One read at a time; a failed read (a locked or vanished
        file) keeps what is shown."""
        store = self._store
        if store is None or (not self.isVisible() and self.runs):
            return
        if not loop_running():
            return
        if self._reading:
            self._read_again = True
            return
        self._reading = True
        known = dict(self.evaluations)
        EngineOp.threaded(lambda: read_runs(store, known), OpChanges()).success(
            self._on_read
        ).failure(self._on_read_failed).run()

    def _on_read(self, read: tuple[list[RunRecord], dict[str, EvalRuns]]) -> None:
        self._read_done()
        runs, found = read
        if runs == self.runs and found == self.evaluations:
            return
        if found != self.evaluations:
            self.evaluations = found
            self.eval_of = {run_id: e for e in found.values() for run_id in e.run_ids}
        if runs != self.runs:
            self.runs = runs
            _refill(self.workflow, sorted({r.workflow_name for r in runs}))
            _refill(self.status, sorted({r.status for r in runs}))
        self._fill()

    def _on_read_failed(self, exc: BaseException) -> None:
        self._read_done()

    def _read_done(self) -> None:
        self._reading = False
        if self._read_again:  # asked for while reading: something changed since
            self._read_again = False
            self.refresh()

    def _fill(self) -> None:
        wf, status = self.workflow.currentText(), self.status.currentText()
        start = since(DATES.get(self.date.currentText()))
        hide = self.hide_evals.isChecked()
        self.shown = [
            r
            for r in self.runs
            if (wf == ALL or r.workflow_name == wf)
            and (status == ALL or r.status == status)
            and (start is None or r.started_at >= start)
            and not (hide and r.run_id in self.eval_of)
        ]
        selected = set(self.selected_ids())
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.shown))
        for i, r in enumerate(self.shown):
            took = (r.finished_at - r.started_at) if r.finished_at else -1.0
            tokens = r.prompt_tokens + r.completion_tokens
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at))
            cells = [
                _SortItem(when, r.started_at),
                QTableWidgetItem(r.workflow_name),
                QTableWidgetItem(r.status),
                _SortItem(f"{took:.2f}s" if took >= 0 else "—", took),
                _SortItem(str(tokens), tokens),
                _SortItem(f"${r.cost_usd:.4f}", r.cost_usd),
                QTableWidgetItem(r.run_id),
                QTableWidgetItem(""),
            ]
            made_by = self.eval_of.get(r.run_id)
            if made_by is not None:
                cells[7].setText(made_by.name)
                cells[7].setToolTip(f"A row of evaluation {made_by.eval_id}")
            if r.status in STATUS_COLORS:
                cells[2].setForeground(Qt.GlobalColor.white)
                cells[2].setBackground(QColor(STATUS_COLORS[r.status]))
            for j, item in enumerate(cells):
                item.setData(Qt.ItemDataRole.UserRole, r.run_id)
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)
        for i in range(self.table.rowCount()):
            first = self.table.item(i, 0)
            if first is not None and first.data(Qt.ItemDataRole.UserRole) in selected:
                self.table.selectRow(i)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._enable()

    def selected_ids(self) -> list[str]:
        model = self.table.selectionModel()
        if model is None:
            return []
        ids = []
        for index in sorted(model.selectedRows(), key=lambda i: i.row()):
            item = self.table.item(index.row(), 0)
            if item is not None:
                ids.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return ids

    def select_runs(self, run_ids: list[str]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) in run_ids:
                self.table.selectRow(i)
        self.table.setSelectionMode(mode)

    def _enable(self) -> None:
        count = len(self.selected_ids())
        self.open_button.setEnabled(count == 1)
        self.export_button.setEnabled(count == 1)
        self.compare_button.setEnabled(count == 2)

    def _emit_one(self, signal: SignalInstance) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            signal.emit(ids[0])

    def _compare(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            older, newer = sorted(ids)
            self.compare_requested.emit(older, newer)

    def _menu(self, pos: QPoint) -> None:
        menu = self.context_menu()
        if menu is not None:
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(self.table.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu | None:
        """The menu for the selected runs, or None when none is selected."""
        ids = self.selected_ids()
        if not ids:
            return None
        menu = QMenu(self)
        if len(ids) == 1:
            menu.addAction("Open in replay", lambda: self.open_requested.emit(ids[0]))
            menu.addAction("Export JSON…", lambda: self.export_requested.emit(ids[0]))
            menu.addAction("Resume", lambda: self.resume_requested.emit(ids[0]))
            menu.addSeparator()
            menu.addAction("Add to Dataset…", lambda: self.add_to_dataset_requested.emit(ids[0]))
        if len(ids) == 2:
            menu.addAction("Compare", self._compare)
        return menu


def _refill(combo: QComboBox, values: list[str]) -> None:
    current = combo.currentText()
    have = [combo.itemText(i) for i in range(1, combo.count())]
    if have == values:
        return
    combo.blockSignals(True)
    combo.clear()
    combo.addItems([ALL, *values])
    combo.setCurrentText(current if current in values else ALL)
    combo.blockSignals(False)
