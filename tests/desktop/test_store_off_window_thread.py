"""The window never waits on the store: a run whose writes wait for another process's
write lock waits on the engine thread while the window keeps handling events, and every
store read or write the app makes (runs, approvals, panels, replay, compare, resume
checks) happens off the window's thread."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engine.store.sqlite import SqliteRunStore
from tests.desktop.run_helpers import approval_file, run_until_dialog, wait_finished
from tests.desktop.test_main_window import NO_LLM

HOLDER = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")  # the write lock, as a CLI `approve` holds it while writing
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
db.close()
print("released", flush=True)
"""


class LockHolder:
    """Another process holding the store's write lock until `release`."""

    def __init__(self, db: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"
        self.held = True

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "released"
        self.process.wait(timeout=30)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.interlock.yaml"
    path.write_text(NO_LLM, encoding="utf-8")
    return path


def _warm(qtbot: QtBot, window: MainWindow) -> None:
    """The store open (its schema written) before another process takes the lock."""
    window.run_controller.warm_up()
    qtbot.waitUntil(lambda: window.run_controller.session.warmed_up)
    assert window.run_controller.session.store_ready


def test_a_run_waiting_for_the_write_lock_leaves_the_window_responsive(
    qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path, tmp_path: Path
) -> None:
    window.open_path(demo)
    _warm(qtbot, window)
    holder = LockHolder(tmp_path / "runs.db")
    try:
        ticks: list[bool] = []
        timer = QTimer(interval=5)
        timer.timeout.connect(lambda: ticks.append(holder.held))
        timer.start()
        window.actions_.run.trigger()
        # The window handles its timer again and again while the run cannot write a
        # thing: on the window's thread, SQLite's busy wait would hold it until the
        # lock went away (or the write failed).
        qtbot.waitUntil(lambda: len(ticks) >= 20, timeout=8_000)
        assert all(ticks[:20]) and window.run_controller.running
        assert window.run_controller.state.run_id is None or not window.run_controller.state.nodes
        holder.release()
        result = wait_finished(qtbot, window)
        timer.stop()
    finally:
        holder.release()
    assert result.status == "succeeded"
    store = window.run_controller.session.store
    record = store.get_run(result.run_id)
    assert record is not None and record.status == "succeeded"
    assert [e.type for e in store.events(result.run_id)][-1] == "run_finished"


@pytest.fixture
def window_thread_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every public SqliteRunStore method called on the window's (the main) thread."""
    calls: list[str] = []
    main = threading.main_thread()

    def watched(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: SqliteRunStore, *args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is main:
                calls.append(name)
            return method(self, *args, **kwargs)

        return call

    mine = [c for c in SqliteRunStore.__mro__ if c.__module__.startswith("engine.store")]
    names = {n for c in mine for n, m in vars(c).items() if callable(m) and n[0] != "_"}
    assert {"append_events", "list_runs", "events", "list_approvals"} <= names
    for name in names:
        monkeypatch.setattr(SqliteRunStore, name, watched(name, getattr(SqliteRunStore, name)))
    yield calls


def test_no_store_work_on_the_window_thread(
    qtbot: QtBot,
    qloop: Any,
    window: MainWindow,
    demo: Path,
    tmp_path: Path,
    window_thread_calls: list[str],
) -> None:
    """A run, a run that waits for approval and is approved in the app, the runs and
    approvals panels, replay, compare and the resume check: none reads or writes the store
    on the window's thread."""
    window.open_path(demo)
    window.actions_.run.trigger()
    first = wait_finished(qtbot, window)
    assert first.status == "succeeded"

    window.open_path(approval_file(tmp_path))
    dialog = run_until_dialog(qtbot, window)
    dialog.approve()
    second = wait_finished(qtbot, window)
    assert second.status == "succeeded"

    ui = window.run_ui
    runs = ui.runs
    runs.refresh()
    qtbot.waitUntil(lambda: {first.run_id, second.run_id} <= {r.run_id for r in runs.runs})
    ui.approvals.refresh()
    with qtbot.waitSignal(ui.commands.replay_opened) as opened:
        ui.commands.open_replay(first.run_id)
    qtbot.addWidget(opened.args[0])
    with qtbot.waitSignal(ui.commands.compare_opened) as compared:
        ui.commands.compare(first.run_id, second.run_id)
    compared.args[0].reject()
    ui.commands.choose_run(first.run_id)
    qtbot.waitUntil(lambda: ui.commands._resume_checks > 0)
    assert window_thread_calls == []
