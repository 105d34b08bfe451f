"""File dialogs never open the files they list: a dialog on the folder of the runs database
leaves the store's SQLite locks in place, so a CLI command meanwhile cannot take the file
over (delete its WAL) under the running app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QFileSystemModel
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from tests.desktop.run_helpers import wait_finished
from tests.desktop.test_main_window import NO_LLM

INTERLOCK = Path(sys.executable).parent / "interlock"
LOCKS = Path("/proc/locks")
needs_proc_locks = pytest.mark.skipif(not LOCKS.exists(), reason="reads /proc/locks (Linux)")


def own_locks(path: Path) -> list[str]:
    """This process's POSIX locks on `path` (its inode), from /proc/locks, without the
    line's ordinal (it shifts as other processes take and drop locks)."""
    inode, pid = os.stat(path).st_ino, str(os.getpid())
    found = []
    for line in LOCKS.read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[4] == pid and fields[5].rsplit(":", 1)[-1] == str(inode):
            found.append(" ".join(fields[1:]))
    return sorted(found)


def cancel_dialog_once_listed(folder: Path, seen: list[bool], tries: int = 200) -> None:
    """Close the next file dialog (it runs its own event loop) once it lists every file of
    `folder`, the database selected, and has had time to gather their icons and types."""

    def check(left: int) -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog)]
        dialog = next((d for d in dialogs if d.isVisible()), None)
        if dialog is not None and not seen:
            seen.append(dialog.testOption(QFileDialog.Option.DontUseNativeDialog))
            dialog.selectNameFilter("All files (*)")
        model = dialog.findChild(QFileSystemModel) if dialog is not None else None
        listed = model.rowCount(model.index(str(folder))) if model is not None else 0
        if dialog is not None and (listed >= len(list(folder.iterdir())) or left == 0):
            dialog.selectFile(str(folder / "runs.db"))
            QTimer.singleShot(800, dialog.reject)
        else:
            QTimer.singleShot(50, lambda: check(left - 1))

    QTimer.singleShot(0, lambda: check(tries))


def run_once(qtbot: QtBot, window: MainWindow) -> str:
    window.actions_.run.trigger()
    result = wait_finished(qtbot, window)
    assert result is not None and result.status == "succeeded"
    return str(result.run_id)


@needs_proc_locks
def test_open_dialog_on_the_database_folder_keeps_the_store_locks(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    db = Path(str(window.run_controller.db_path))
    workflow = tmp_path / "demo.interlock.yaml"
    workflow.write_text(NO_LLM, encoding="utf-8")
    window.open_path(workflow)
    run_once(qtbot, window)
    before = own_locks(db)
    assert before, "the store's connection holds a lock on the database while it is open"

    seen: list[bool] = []
    cancel_dialog_once_listed(tmp_path, seen)
    window.open_file()
    assert seen, "the dialog was shown"
    # Closing any descriptor of the file would drop all of them; a connection opened
    # meanwhile (a panel's read in a worker thread) may add one of the same kind.
    assert set(before) <= set(own_locks(db))
    assert seen == [True]  # Qt's own dialog, with our icon provider, on every platform


@pytest.mark.slow
@needs_proc_locks
def test_cli_between_two_app_runs_sees_both_after_a_file_dialog(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    db = Path(str(window.run_controller.db_path))
    workflow = tmp_path / "demo.interlock.yaml"
    workflow.write_text(NO_LLM, encoding="utf-8")
    window.open_path(workflow)
    first = run_once(qtbot, window)

    seen: list[bool] = []
    cancel_dialog_once_listed(tmp_path, seen)
    window.open_file()
    assert seen

    def cli_runs() -> set[str]:
        done = subprocess.run(
            [str(INTERLOCK), "runs", "--db", str(db), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return {r["run_id"] for r in json.loads(done.stdout)}

    assert cli_runs() == {first}
    second = run_once(qtbot, window)
    assert Path(f"{db}-wal").exists()  # the app still writes through a WAL others can see
    assert cli_runs() == {first, second}
