"""Continuing runs after a crash from the window: a run whose process was killed while it
waited for an approval continues when the request is answered in the Approvals panel
(as `interlock approve` continues a waiting run), and Resume is enabled exactly for a
picked run that can be continued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.dialogs.approval_dialog import ApprovalDialog
from desktop.main_window import MainWindow
from engine.approvals.model import ApprovalDecision
from engine.nodes.base import NodeRegistry
from engine.store import open_store
from tests.desktop.run_helpers import approval_file, run_until_dialog, wait_finished

INTERLOCK = Path(sys.executable).parent / "interlock"
pytestmark = pytest.mark.slow  # runs the CLI in a process it then kills


def crash_while_waiting(workflow: Path, db: Path) -> str:
    """Run `workflow` with the CLI until its approval is pending, then kill the process
    (SIGKILL: nothing is recorded after); the run stays `running` with a dead owner."""
    process = subprocess.Popen(
        [str(INTERLOCK), "run", str(workflow), "--db", str(db), "--approve", "wait", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pending = _pending(db)
            if pending:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the CLI run never asked for its approval")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    store = open_store(db)
    try:
        run = store.get_run(pending[0])
        assert run is not None and run.status == "running"
    finally:
        store.close()
    return pending[0]


def _pending(db: Path) -> list[str]:
    if not db.exists():
        return []
    store = open_store(db)
    try:
        return [r.request.run_id for r in store.list_approvals(status="pending")]
    except Exception:  # the CLI is still creating the file
        return []
    finally:
        store.close()


@pytest.fixture
def make_window(
    qtbot: QtBot, tmp_path: Path, registry: NodeRegistry, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Path], MainWindow]]:
    def make(db: Path) -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(registry, settings, db_path=str(db))
        monkeypatch.setattr(window, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make


def test_answering_in_the_app_continues_a_run_whose_process_died(
    qtbot: QtBot, qloop: Any, tmp_path: Path, make_window: Callable[[Path], MainWindow]
) -> None:
    db = tmp_path / "runs.db"
    run_id = crash_while_waiting(approval_file(tmp_path), db)

    window = make_window(db)
    panel = window.run_ui.approvals
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=15_000)
    assert panel.table.item(0, 5).text() == run_id
    review = panel.review_selected()
    assert review is not None
    review.approve()
    qtbot.waitUntil(lambda: window.run_controller.last_result is not None, timeout=30_000)
    result = window.run_controller.last_result
    assert result is not None and result.run_id == run_id
    assert result.status == "succeeded" and result.outputs == {"out": "A note about tea"}
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0)
    record = window.run_controller.session.store.get_run(run_id)
    assert record is not None and record.status == "succeeded"


def pick(qtbot: QtBot, window: MainWindow, run_id: str) -> None:
    runs = window.run_ui.runs
    runs.refresh()
    qtbot.waitUntil(lambda: run_id in [r.run_id for r in runs.shown], timeout=15_000)
    runs.select_runs([run_id])
    assert runs.selected_ids() == [run_id]


def resume_enabled_settles(qtbot: QtBot, window: MainWindow, enabled: bool) -> None:
    commands = window.run_ui.commands
    qtbot.waitUntil(lambda: commands.resume.isEnabled() == enabled, timeout=10_000)
    qtbot.wait(300)  # a check still under way would flip it
    assert commands.resume.isEnabled() == enabled


def test_resume_is_enabled_for_a_picked_run_that_can_continue(
    qtbot: QtBot, qloop: Any, tmp_path: Path, make_window: Callable[[Path], MainWindow]
) -> None:
    db = tmp_path / "runs.db"
    crashed = crash_while_waiting(approval_file(tmp_path), db)
    window = make_window(db)
    qtbot.waitUntil(lambda: window.run_controller.session.store_ready, timeout=15_000)
    commands = window.run_ui.commands

    pick(qtbot, window, crashed)  # running, its process gone
    resume_enabled_settles(qtbot, window, True)
    assert crashed in commands.resume.toolTip()

    window.open_path(approval_file(tmp_path))
    dialog = run_until_dialog(qtbot, window)
    dialog.reject()  # decide later: the run pauses, waiting for approval
    paused = wait_finished(qtbot, window)
    assert paused.status == "waiting_approval"
    pick(qtbot, window, paused.run_id)
    resume_enabled_settles(qtbot, window, False)  # nothing decided yet
    store = window.run_controller.session.store
    (pending,) = store.list_approvals(status="pending", run_id=paused.run_id)
    store.decide_approval(pending.request_id, ApprovalDecision("approve", "someone", ""))
    commands.refresh_resume()  # as the CLI had decided it
    resume_enabled_settles(qtbot, window, True)
    commands.resume.trigger()
    finished = wait_finished(qtbot, window)
    assert finished.run_id == paused.run_id and finished.status == "succeeded"
    pick(qtbot, window, finished.run_id)
    resume_enabled_settles(qtbot, window, False)  # it succeeded

    pick(qtbot, window, crashed)
    resume_enabled_settles(qtbot, window, True)
    opened: list[ApprovalDialog] = []
    window.run_ui.approver.opened.connect(opened.append)
    commands.resume.trigger()  # continues the crashed run: its approval is asked again
    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    opened[0].approve()
    resumed = wait_finished(qtbot, window)
    assert resumed.run_id == crashed and resumed.status == "succeeded"
