"""The Approvals dock: pending requests from the SQLite file (runs started here or by the
CLI), refreshed by a cheap periodic query; deciding one records it through the store like
`interlock approve` does, and continues the run in this process when it can be (it waits,
or its process died: a crash while the request was open)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.async_loop import loop_running
from desktop.dialogs.approval_dialog import ApprovalDialog
from desktop.dialogs.placement import Locate, place_clear_of_node
from desktop.run.ops import EngineOp, OpChanges, op_hub
from desktop.run.qt import named
from desktop.run.resumable import resumable
from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.store.protocol import RunRecord, RunStore

if TYPE_CHECKING:
    from desktop.run_controller import RunController

REFRESH_MS = 2000
HEADERS = ["Waiting", "Workflow", "Node", "Title", "Deadline", "Run"]


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def pending_approvals(
    store: RunStore,
) -> tuple[list[ApprovalRecord], dict[str, RunRecord | None]]:
    """The pending approvals and their runs (blocking: call it in a worker thread)."""
    records = store.list_approvals(status="pending")
    runs: dict[str, RunRecord | None] = {}
    for r in records:
        if r.request.run_id not in runs:
            runs[r.request.run_id] = store.get_run(r.request.run_id)
    return records, runs


class ApprovalsPanel(QWidget):
    decided = Signal(str, object)
    """(run id, ApprovalDecision) once a decision is recorded."""

    def __init__(
        self, controller: RunController, locate: Locate | None = None, parent: QWidget | None = None
    ) -> None:
        """`locate`: where a node is on screen, so a review dialog opens clear of its node."""
        super().__init__(parent)
        self.setObjectName("approvals_panel")
        self.controller = controller
        self.locate = locate
        self.records: list[ApprovalRecord] = []
        self.dialog: ApprovalDialog | None = None
        self._reading = False
        self._read_again = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.table = named(QTableWidget(0, len(HEADERS)), "approvals_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _: self.review_selected())
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.empty = QLabel("No pending approvals")
        self.empty.setEnabled(False)
        row.addWidget(self.empty, 1)
        self.review_button = named(QPushButton("Review…"), "review")
        self.review_button.clicked.connect(self.review_selected)
        row.addWidget(self.review_button)
        layout.addLayout(row)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        op_hub().changed.connect(self._on_changes)
        self.refresh()  # a no-op until the session has opened the store (off the GUI thread)

    def _on_changes(self, changes: OpChanges) -> None:
        if changes.approvals:
            self.refresh()

    def refresh(self) -> None:
        """Read the pending approvals in a worker thread; the table follows. One read at a
        time; a failed read (a locked or vanished file) says so and keeps the rows."""
        session = self.controller.session
        if not session.store_ready and not session.warmed_up:
            return  # the warm-up thread opens it; the GUI thread would wait for SQLAlchemy
        if not loop_running():
            return
        if self._reading:
            self._read_again = True
            return
        self._reading = True
        EngineOp.threaded(lambda: pending_approvals(session.store), OpChanges()).success(
            self._on_read
        ).failure(self._on_read_failed).run()

    def _read_done(self) -> None:
        self._reading = False
        if self._read_again:
            self._read_again = False
            self.refresh()

    def _on_read_failed(self, exc: BaseException) -> None:
        self._read_done()
        self.empty.setText(f"Cannot read approvals: {exc}")

    def _on_read(self, read: tuple[list[ApprovalRecord], dict[str, RunRecord | None]]) -> None:
        self._read_done()
        records, runs = read
        selected = self.selected()
        self.records = records
        now = time.time()
        self.table.setRowCount(len(records))
        for i, record in enumerate(records):
            req = record.request
            run = runs.get(req.run_id)
            deadline = _age(req.deadline_ts - now) if req.deadline_ts else ""
            cells = [
                _age(now - req.created_at),
                run.workflow_name if run else "?",
                req.node_id,
                req.title,
                deadline,
                req.run_id,
            ]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, record.request_id)
                self.table.setItem(i, j, item)
            if selected is not None and record.request_id == selected.request_id:
                self.table.selectRow(i)
        self.empty.setText(
            f"{len(records)} pending approval(s)" if records else "No pending approvals"
        )
        self.review_button.setEnabled(bool(records))
        dock = self.parentWidget()
        if dock is not None and hasattr(dock, "setWindowTitle"):
            dock.setWindowTitle(f"Approvals ({len(records)})" if records else "Approvals")

    def selected(self) -> ApprovalRecord | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if rows and rows[0].row() < len(self.records):
            record: ApprovalRecord = self.records[rows[0].row()]
            return record
        return self.records[0] if len(self.records) == 1 else None

    def review_selected(self) -> ApprovalDialog | None:
        record = self.selected()
        return self.review(record) if record is not None else None

    def review(self, record: ApprovalRecord) -> ApprovalDialog:
        """Open the approval dialog for `record`; its decision is recorded when given."""
        dialog = ApprovalDialog(record, self.window())
        dialog.decided.connect(lambda decision: self.decide(record, decision))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        if self.locate is not None:
            place_clear_of_node(dialog, record.request.node_id, self.locate)
        return dialog

    def decide(self, record: ApprovalRecord, decision: ApprovalDecision) -> None:
        session = self.controller.session
        run_id = record.request.run_id

        def record_it() -> bool:
            store = session.store
            store.decide_approval(record.request_id, decision)
            return resumable(store, run_id)

        def recorded(can_continue: bool) -> None:
            self.decided.emit(run_id, decision)
            if not can_continue:  # finished, or its live process picks the decision up
                self.controller.message.emit(f"{decision.decision}d {record.request.node_id}")
            elif self.controller.running:
                self.controller.message.emit(
                    f"Decision recorded; resume run {run_id} when the current run ends"
                )
            else:
                self.controller.resume(run_id)

        EngineOp.threaded(record_it, OpChanges(approvals=True, runs=True)).success(
            recorded
        ).failure(
            lambda exc: self.controller.message.emit(f"Cannot record the decision: {exc}")
        ).run()
