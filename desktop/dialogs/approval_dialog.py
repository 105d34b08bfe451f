"""The approval dialog: what is being approved and why (the summary as written), the
inputs, the proposed value or tool call shown whole in a JSON-aware editor that becomes
editable for edit-and-approve (checked against the request's schema), a comment, the
deadline countdown, and Approve (Ctrl+Enter) / Reject (Ctrl+Backspace)."""

from __future__ import annotations

import getpass
import json
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.dialogs.json_editor import JsonValueEditor
from desktop.dialogs.tool_call_view import call_editor
from desktop.run.qt import named
from engine.approvals.model import ApprovalDecision, ApprovalRecord, Decision
from engine.approvals.validate import check_decision

APPROVE_KEYS = ("Ctrl+Return", "Ctrl+Enter")
REJECT_KEYS = ("Ctrl+Backspace",)


class ApprovalDialog(QDialog):
    """Leaves with `decision` set (Approve/Reject) or None (closed: stays pending)."""

    decided = Signal(object)

    def __init__(self, record: ApprovalRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record = record
        self.request = req = record.request
        self.decision: ApprovalDecision | None = None
        self.setWindowTitle(f"Approval needed — {req.title or req.node_id}")
        self.setObjectName("approval_dialog")
        self.resize(620, 560)
        layout = QVBoxLayout(self)

        what = f"<h3>{_esc(req.title or 'Approval needed')}</h3>"
        what += f"Node <b>{_esc(req.node_id)}</b> of run <code>{req.run_id}</code>"
        if req.kind == "policy_gate":
            what += f"<br>Gated by policy rule <b>{_esc(req.rule or '?')}</b>"
        if req.approver:
            what += f"<br>Must be decided by <b>{_esc(req.approver)}</b>"
        self.about = QLabel(what, wordWrap=True)
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.about)
        # The summary as written: plain text, its line breaks and spacing kept.
        self.summary = named(QLabel(req.summary or "", wordWrap=True), "summary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setVisible(bool(req.summary))
        layout.addWidget(self.summary)
        self.deadline = named(QLabel(), "deadline")
        layout.addWidget(self.deadline)

        # The proposed value whole, in one editor: read-only until "Edit before approving".
        # A gated tool call: its tool, its server and each argument on a row of its own.
        self.editor = named(call_editor(req) or JsonValueEditor(req.proposed), "editor")
        self.editor.setReadOnly(True)
        tabs = QTabWidget()
        tabs.addTab(self.editor, "Proposed")
        inputs = JsonValueEditor(req.inputs)
        inputs.setReadOnly(True)
        tabs.addTab(inputs, "Inputs")
        layout.addWidget(tabs, 1)

        self.edit_box = named(QCheckBox("Edit before approving"), "edit_toggle")
        self.edit_box.setEnabled(req.allow_edit)
        if not req.allow_edit:
            self.edit_box.setToolTip("This request does not allow editing the value")
        self.edit_box.toggled.connect(self._on_edit_toggled)
        self.editor.textChanged.connect(self._validate_edit)
        layout.addWidget(self.edit_box)

        who = QFormLayout()
        self.decider = named(QLineEdit(req.approver or getpass.getuser()), "decider")
        who.addRow("Decide as", self.decider)
        self.comment = named(QPlainTextEdit(), "comment")
        self.comment.setPlaceholderText(
            "Comment (required)" if req.comment_required else "Comment (optional)"
        )
        self.comment.setMaximumHeight(70)
        who.addRow("Comment", self.comment)
        layout.addLayout(who)
        self.error = named(QLabel(wordWrap=True), "error")
        self.error.setStyleSheet("color: #e0413a;")
        self.error.setVisible(False)
        layout.addWidget(self.error)

        buttons = QDialogButtonBox()
        self.approve_button = named(QPushButton("Approve  (Ctrl+Enter)"), "approve")
        self.reject_button = named(QPushButton("Reject  (Ctrl+Backspace)"), "reject")
        later = named(QPushButton("Decide later"), "later")
        later.setToolTip("Close without deciding: the request stays pending (Esc)")
        buttons.addButton(self.approve_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.reject_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(later, QDialogButtonBox.ButtonRole.RejectRole)
        self.approve_button.clicked.connect(self.approve)
        self.reject_button.clicked.connect(self.reject_request)
        later.clicked.connect(self.reject)
        layout.addWidget(buttons)
        for keys, slot in ((APPROVE_KEYS, self.approve), (REJECT_KEYS, self.reject_request)):
            for key in keys:
                QShortcut(QKeySequence(key), self).activated.connect(slot)
        self.approve_button.setAutoDefault(False)
        self.reject_button.setAutoDefault(False)

        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._tick)
        if req.deadline_ts is not None:
            self._timer.start()
        self._tick()

    # -- deciding ------------------------------------------------------------------------

    def edited_value(self) -> Any:
        """The editor's value (JSON, or plain text when the proposal is a string)."""
        return self.editor.value()

    def approve(self) -> None:
        verdict: Decision = "approve"
        edited: Any = None
        if self.edit_box.isChecked():
            try:
                edited = self.edited_value()
            except json.JSONDecodeError as exc:
                self._show_error(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
                return
            if edited != self.request.proposed:
                verdict = "edit"
            else:
                edited = None
        self._finish(verdict, edited)

    def reject_request(self) -> None:
        self._finish("reject", None)

    def _finish(self, verdict: Decision, edited: Any) -> None:
        decision = ApprovalDecision(
            verdict, self.decider.text().strip(), self.comment.toPlainText().strip(), edited
        )
        problem = check_decision(self.request, decision)
        if problem:
            self._show_error(problem)
            return
        self.decision = decision
        self._timer.stop()
        self.decided.emit(decision)
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _on_edit_toggled(self, on: bool) -> None:
        self.editor.setReadOnly(not on)
        if on:
            self.editor.setFocus()
        else:  # approving unedited approves the value as proposed
            self.editor.set_value(self.request.proposed)
        self._validate_edit()

    def _validate_edit(self) -> None:
        if not self.edit_box.isChecked():
            self._show_error("")
            return
        try:
            value = self.edited_value()
        except json.JSONDecodeError as exc:
            self._show_error(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
            return
        probe = ApprovalDecision("edit", self.request.approver or "probe", "probe", value)
        self._show_error(check_decision(self.request, probe) or "")

    def _tick(self) -> None:
        deadline = self.request.deadline_ts
        if deadline is None:
            self.deadline.setVisible(False)
            return
        left = max(0.0, deadline - time.time())
        minutes, seconds = divmod(int(left), 60)
        default = self.request.default_decision or "reject"
        self.deadline.setText(
            f"⏳ <b>{minutes}:{seconds:02d}</b> left — then the default applies: {default}"
        )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
