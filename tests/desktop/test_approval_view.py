"""What the approval dialog shows: a multi-line JSON proposal whole, in an editor that
becomes editable (the edit is what the store records and the run carries on with), the
summary exactly as written, and the dialog placed clear of the node it is about, whether
the run opens it or the Approvals panel's Review does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from tests.desktop.run_helpers import run_until_dialog, wait_finished

LONG = "step " * 400  # longer than any preview would keep
PLAN = {
    "title": "Migrate the database",
    "steps": [
        {"do": "back up", "notes": "first line\nsecond line\n  indented third"},
        {"do": "migrate", "notes": LONG.strip()},
    ],
    "dry_run": False,
    "retries": 3,
}
SUMMARY = "Check the plan:\n  1. the backup comes first\n  2. nothing runs dry\n\nThen approve."

WORKFLOW = {
    "version": 1,
    "metadata": {"name": "Plan review"},
    "inputs": [{"name": "plan", "type": "object", "default": PLAN}],
    "nodes": [
        {"id": "plan", "kind": "input", "position": {"x": 0, "y": 0}},
        {
            "id": "review",
            "kind": "approval",
            "position": {"x": 300, "y": 0},
            "config": {"title": "Run this plan?", "summary": SUMMARY},
        },
        {"id": "out", "kind": "output", "position": {"x": 600, "y": 0}},
    ],
    "edges": [
        {"source": "plan.value", "target": "review.in"},
        {"source": "review.approved", "target": "out.value"},
    ],
}


def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.interlock.yaml"
    path.write_text(json.dumps(WORKFLOW), encoding="utf-8")  # JSON is YAML
    return path


def test_json_proposal_shown_whole_and_the_edit_recorded(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(plan_file(tmp_path))
    dialog = run_until_dialog(qtbot, window)
    assert dialog.summary.text() == SUMMARY  # as written: line breaks and indents kept
    editor = dialog.editor
    assert editor.isVisible() and editor.isReadOnly()
    assert editor.toPlainText() == json.dumps(PLAN, indent=2, ensure_ascii=False)
    assert editor.value() == PLAN and LONG.strip() in editor.toPlainText()
    assert editor.document().lineCount() > 10  # multi-line, not one field
    assert editor.highlighter is not None  # JSON is coloured

    dialog.edit_box.setChecked(True)
    assert not editor.isReadOnly()
    editor.setPlainText(editor.toPlainText().replace('"dry_run": false', '"dry_run": tru'))
    assert "not JSON" in dialog.error.text() and dialog.error.isVisible()
    dialog.approve_button.click()
    assert dialog.isVisible() and dialog.decision is None

    edited = {**PLAN, "dry_run": True, "retries": 1}
    editor.setPlainText(json.dumps(edited, indent=4))
    assert not dialog.error.isVisible()
    dialog.approve_button.click()
    result = wait_finished(qtbot, window)
    assert result.status == "succeeded" and result.outputs == {"out": edited}
    (record,) = window.run_controller.session.store.list_approvals(status=None)
    assert record.decision is not None and record.decision.decision == "edit"
    assert record.decision.edited_value == edited


def test_unticking_edit_restores_the_proposal(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(plan_file(tmp_path))
    dialog = run_until_dialog(qtbot, window)
    dialog.edit_box.setChecked(True)
    dialog.editor.setPlainText("{}")
    dialog.edit_box.setChecked(False)
    assert dialog.editor.isReadOnly() and dialog.editor.value() == PLAN
    dialog.approve_button.click()
    result = wait_finished(qtbot, window)
    assert result.outputs == {"out": PLAN}
    (record,) = window.run_controller.session.store.list_approvals(status=None)
    assert record.decision is not None and record.decision.decision == "approve"


def test_dialog_leaves_its_node_in_sight(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(plan_file(tmp_path))
    window.view.centerOn(window.scene.node_items["review"])  # where a centred dialog sits
    dialog = run_until_dialog(qtbot, window)
    node = window.run_ui.node_on_screen("review")
    assert node is not None and node.isValid()
    shown = dialog.frameGeometry()
    assert not shown.intersects(node), (shown, node)
    screen = QApplication.primaryScreen().availableGeometry()
    assert screen.contains(shown)
    assert (
        window.view.viewport().rect().contains(window.view.viewport().mapFromGlobal(node.center()))
    )  # the node is in the canvas's view
    dialog.reject()
    wait_finished(qtbot, window)


def test_review_from_the_approvals_panel_leaves_its_node_in_sight(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    window.open_path(plan_file(tmp_path))
    dialog = run_until_dialog(qtbot, window)
    dialog.reject()  # undecided: the request stays pending and the run pauses
    assert wait_finished(qtbot, window).status == "waiting_approval"
    panel = window.run_ui.approvals
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)

    window.view.centerOn(window.scene.node_items["review"])  # where a centred dialog sits
    review = panel.review_selected()
    assert review is not None and review.isVisible()
    node = window.run_ui.node_on_screen("review")
    assert node is not None and node.isValid()
    shown = review.frameGeometry()
    assert not shown.intersects(node), (shown, node)
    assert QApplication.primaryScreen().availableGeometry().contains(shown)
    review.reject()
