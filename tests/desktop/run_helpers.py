"""Workflows and helpers shared by the run, approval and runs-panel tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from desktop.dialogs.approval_dialog import ApprovalDialog
from desktop.main_window import MainWindow

APPROVAL = """\
version: 1
metadata:
  name: Approval demo
inputs:
  - {name: topic, type: string, default: tea, description: What the note is about}
nodes:
  - {id: topic, kind: input, position: {x: 0, y: 0}}
  - id: draft
    kind: template
    position: {x: 260, y: 0}
    config: {template: 'A note about {{ in }}'}
  - id: review
    kind: approval
    title: Review
    position: {x: 520, y: 0}
    config:
      title: Send the note?
      summary: 'Send this note: {{ proposed }}'
      output_schema: {type: string, maxLength: 30}
      comment_required: COMMENT
  - {id: out, kind: output, position: {x: 780, y: 0}}
edges:
  - {source: topic.value, target: draft.in}
  - {source: draft.text, target: review.in}
  - {source: review.approved, target: out.value}
"""


def approval_file(tmp_path: Path, *, comment_required: bool = False) -> Path:
    path = tmp_path / "approval.interlock.yaml"
    text = APPROVAL.replace("COMMENT", "true" if comment_required else "false")
    path.write_text(text, encoding="utf-8")
    return path


def run_until_dialog(qtbot: QtBot, window: MainWindow) -> ApprovalDialog:
    """Press Run and wait for the approval dialog the run's approver opens."""
    opened: list[ApprovalDialog] = []
    window.run_ui.approver.opened.connect(opened.append)
    window.actions_.run.trigger()
    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    dialog = opened[0]
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def wait_finished(qtbot: QtBot, window: MainWindow, timeout: int = 15_000) -> Any:
    qtbot.waitUntil(lambda: not window.run_controller.running, timeout=timeout)
    return window.run_controller.last_result
