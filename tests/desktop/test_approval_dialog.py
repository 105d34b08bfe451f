"""Approvals in the desktop: the modal dialog as the run's approver (approve, reject,
edit-and-approve with schema errors inline), closing it undecided, and the Approvals panel
finishing a run — also after the window was closed and reopened on the same database."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engine.nodes.base import NodeRegistry
from tests.desktop.run_helpers import approval_file, run_until_dialog, wait_finished


def test_approve_with_the_keyboard(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(approval_file(tmp_path))
    dialog = run_until_dialog(qtbot, window)
    assert dialog.isModal() or dialog.windowModality() != Qt.WindowModality.NonModal
    assert "Send the note?" in dialog.about.text()
    assert dialog.summary.text() == "Send this note: A note about tea"
    qtbot.waitUntil(lambda: window.scene.node_items["review"].run_state == "waiting")
    assert window.run_ui.status.status.text() == "<b>running</b>"

    dialog.activateWindow()
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    result = wait_finished(qtbot, window)
    assert result.status == "succeeded"
    assert result.outputs == {"out": "A note about tea"}
    store = window.run_controller.session.store
    (record,) = store.list_approvals(status=None, run_id=result.run_id)
    assert record.status == "approved"
    assert record.decision is not None and record.decision.decider == getpass.getuser()
    qtbot.waitUntil(lambda: window.scene.node_items["review"].run_state == "succeeded")


def test_reject_needs_the_required_comment(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(approval_file(tmp_path, comment_required=True))
    dialog = run_until_dialog(qtbot, window)
    dialog.reject_button.click()
    assert dialog.isVisible() and "comment is required" in dialog.error.text()
    dialog.comment.setPlainText("not today")
    dialog.activateWindow()
    qtbot.keyClick(dialog, Qt.Key.Key_Backspace, Qt.KeyboardModifier.ControlModifier)
    result = wait_finished(qtbot, window)
    assert result.status == "failed" and "not today" in (result.error or "")
    (record,) = window.run_controller.session.store.list_approvals(status=None)
    assert record.status == "rejected" and record.decision is not None
    assert record.decision.comment == "not today"
    qtbot.waitUntil(lambda: window.scene.node_items["review"].run_state == "failed")


def test_edit_and_approve_checks_the_schema_inline(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(approval_file(tmp_path))
    dialog = run_until_dialog(qtbot, window)
    dialog.edit_box.setChecked(True)
    assert dialog.editor.isVisible()
    dialog.editor.setPlainText("A much longer note than the schema allows at all")
    assert "schema" in dialog.error.text() and dialog.error.isVisible()
    dialog.approve_button.click()
    assert dialog.isVisible() and dialog.decision is None

    dialog.editor.setPlainText("A short note")
    assert not dialog.error.isVisible()
    dialog.approve_button.click()
    result = wait_finished(qtbot, window)
    assert result.status == "succeeded" and result.outputs == {"out": "A short note"}
    (record,) = window.run_controller.session.store.list_approvals(status=None)
    assert record.decision is not None and record.decision.decision == "edit"
    assert record.decision.edited_value == "A short note"


def test_closing_the_dialog_pauses_then_the_panel_continues(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(approval_file(tmp_path))
    dialog = run_until_dialog(qtbot, window)
    dialog.reject()  # "Decide later" / Esc: no decision
    result = wait_finished(qtbot, window)
    assert result.status == "waiting_approval"
    panel = window.run_ui.approvals
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert panel.table.item(0, 2).text() == "review"
    assert panel.table.item(0, 1).text() == "Approval demo"

    review = panel.review_selected()
    assert review is not None
    review.comment.setPlainText("fine")
    review.approve_button.click()
    qtbot.waitUntil(lambda: window.run_controller.running or panel.table.rowCount() == 0)
    result = wait_finished(qtbot, window)
    assert result.status == "succeeded" and result.outputs == {"out": "A note about tea"}
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0)
    qtbot.waitUntil(lambda: window.scene.node_items["out"].run_state == "succeeded")


def test_stop_while_waiting_cancels_the_run(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(approval_file(tmp_path))
    run_until_dialog(qtbot, window)
    window.actions_.stop.trigger()
    wait_finished(qtbot, window)
    assert window.run_ui.approver.dialogs == []
    run_id = window.run_controller.last_run_id
    assert run_id is not None
    record = window.run_controller.session.store.get_run(run_id)
    assert record is not None and record.status == "cancelled"


def test_close_while_pending_then_reopen_and_finish_from_the_panel(
    qtbot: QtBot,
    qloop: Any,
    window: MainWindow,
    tmp_path: Path,
    registry: NodeRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.open_path(approval_file(tmp_path))
    run_until_dialog(qtbot, window)
    run_id = window.run_controller.state.run_id
    assert not window.close()  # the run winds down first; the window then closes itself
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert window.run_ui.approver.dialogs == []
    paused = window.run_controller.session.store.get_run(run_id)
    assert paused is not None and paused.status == "waiting_approval"

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    again = MainWindow(registry, settings, db_path=window.run_controller.db_path)
    monkeypatch.setattr(again, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(again)
    again.show()
    panel = again.run_ui.approvals
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert panel.table.item(0, 5).text() == run_id
    review = panel.review_selected()
    assert review is not None
    review.approve()
    qtbot.waitUntil(lambda: again.run_controller.last_result is not None, timeout=15_000)
    result = again.run_controller.last_result
    assert result is not None and result.run_id == run_id
    assert result.status == "succeeded" and result.outputs == {"out": "A note about tea"}
    store = again.run_controller.session.store
    record = store.get_run(run_id)
    assert record is not None and record.status == "succeeded"
    assert store.list_approvals() == []
