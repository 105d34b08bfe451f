"""Unsaved edits survive a crash: the window keeps a copy in the recovery folder while it
has unsaved edits (removed on a clean save or close), and a window that starts offers the
copies no running window holds: Restore opens them as unsaved edits, Discard removes them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.recovery import Answer
from desktop.recovery_store import RecoveryEntry, list_entries
from desktop.window_tabs import tabs_of
from engine.nodes.base import NodeRegistry
from engine.workflow.loader import loads_workflow
from tests.desktop.test_external_edits import WORKFLOW

MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("INTERLOCK_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def make_window(
    qtbot: QtBot,
    tmp_path: Path,
    registry: NodeRegistry,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MakeWindow]:
    made: list[MainWindow] = []

    def make(*, closed_by_test: bool = False) -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        win = MainWindow(registry, settings, db_path=str(tmp_path / "runs.db"))
        monkeypatch.setattr(win, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
        if not closed_by_test:  # else teardown would close it a second time
            qtbot.addWidget(win)
        made.append(win)
        return win

    yield make


@pytest.fixture
def workflow_file(tmp_path: Path) -> Path:
    path = tmp_path / "chain.interlock.yaml"
    path.write_text(WORKFLOW, encoding="utf-8")
    return path


def _answer(window: MainWindow, answer: Answer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []

    def ask(entry: RecoveryEntry) -> Answer:
        asked.append(entry.label())
        return answer

    monkeypatch.setattr(window.recovery, "ask", ask)
    return asked


def _left_by_a_dead_process(folder: Path) -> Path:
    """Copy the one live copy in `folder` to a slot no process holds (as a killed app's)."""
    [entry] = list(folder.glob("*.json"))
    orphan = folder / "0123456789abcdef.json"
    shutil.copy(entry, orphan)
    return orphan


def _orphan_of_a_rename(make_window: MakeWindow, workflow_file: Path, title: str) -> Path:
    """The copy a window left when its process died after renaming node `a` to `title`."""
    first = make_window()
    first.open_path(workflow_file)
    assert first.scene.rename_node("a", title)
    first.autosaver.autosave_now()
    first.autosaver.flush()
    return _left_by_a_dead_process(first.autosaver.folder)


def test_edits_are_kept_until_a_clean_save(make_window: MakeWindow, workflow_file: Path) -> None:
    window = make_window()
    window.open_path(workflow_file)
    folder = window.autosaver.folder
    assert not window.autosaver.autosave_now()  # no unsaved edits, no copy
    assert window.scene.rename_node("a", "Kept title")
    assert window.autosaver.autosave_now()
    window.autosaver.flush()
    [entry] = list_entries(folder)
    assert entry.path == workflow_file
    assert loads_workflow(entry.text).workflow.node("a").title == "Kept title"
    assert workflow_file.read_text(encoding="utf-8") == WORKFLOW  # the file is not touched
    assert folder != workflow_file.parent and not list(workflow_file.parent.glob("*.json"))
    window.undo_stack.undo()  # back to clean: the copy goes
    window.autosaver.flush()
    assert list_entries(folder) == []
    assert window.scene.rename_node("a", "Again")
    window.autosaver.autosave_now()
    window.autosaver.flush()
    assert len(list_entries(folder)) == 1
    assert window.save()
    window.autosaver.flush()
    assert list_entries(folder) == []


def test_a_running_windows_copy_is_not_offered(
    make_window: MakeWindow, workflow_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_window()
    first.open_path(workflow_file)
    assert first.scene.rename_node("a", "Mine")
    first.autosaver.autosave_now()
    first.autosaver.flush()
    second = make_window()
    asked = _answer(second, "restore", monkeypatch)
    assert second.offer_recovery() is None and asked == []
    assert len(list_entries(first.autosaver.folder)) == 1


def test_restore_opens_the_copy_as_unsaved_edits_of_its_file(
    make_window: MakeWindow, workflow_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orphan = _orphan_of_a_rename(make_window, workflow_file, "Recovered title")
    second = make_window()
    asked = _answer(second, "restore", monkeypatch)
    restored = second.offer_recovery()
    assert restored is not None and asked == [str(workflow_file)]
    assert second.document.path == workflow_file
    assert second.document.node("a").title == "Recovered title"
    assert not second.undo_stack.isClean() and second.isWindowModified()
    second.autosaver.flush()
    assert not orphan.exists()  # taken over by the second window's own copy
    slots = {e.slot for e in list_entries(second.autosaver.folder)}
    assert second.autosaver.slot in slots
    assert workflow_file.read_text(encoding="utf-8") == WORKFLOW
    assert second.save()
    saved = workflow_file.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(WORKFLOW.splitlines(), saved, strict=True) if a != b]
    assert changed == [
        (
            "    title: Greeting   # shown on the canvas",
            "    title: Recovered title # shown on the canvas",
        )
    ]


def test_a_copy_of_another_file_is_restored_in_a_new_tab_beside_the_open_one(
    make_window: MakeWindow,
    workflow_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orphan = _orphan_of_a_rename(make_window, workflow_file, "Recovered title")
    other_file = tmp_path / "other.interlock.yaml"
    other_file.write_text(WORKFLOW.replace("Greeting", "Other"), encoding="utf-8")
    second = make_window()
    second.show()
    assert second.open_path(other_file)  # the app was started on another file
    asked = _answer(second, "restore", monkeypatch)

    assert second.offer_recovery() is not None and asked == [str(workflow_file)]
    assert second.document.path == other_file and second.undo_stack.isClean()  # kept
    tabs = tabs_of(second)
    assert tabs is not None and tabs.isVisible()
    [same, restored] = tabs.documents()
    assert same is second and tabs.current() is restored
    assert restored.document.path == workflow_file and restored.isWindowModified()
    assert restored.document.node("a").title == "Recovered title"
    restored.autosaver.flush()
    assert not orphan.exists()  # taken over by the new tab's own copy
    assert restored.autosaver.slot in {e.slot for e in list_entries(restored.autosaver.folder)}
    monkeypatch.setattr(restored, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    assert restored.close() and tabs.documents() == [second]  # the test closes `second`


def test_discard_removes_the_copy(
    make_window: MakeWindow, workflow_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orphan = _orphan_of_a_rename(make_window, workflow_file, "Dropped")
    second = make_window()
    second.open_path(workflow_file)
    _answer(second, "discard", monkeypatch)
    assert second.offer_recovery() is None
    assert not orphan.exists()
    assert second.document.node("a").title == "Greeting" and second.undo_stack.isClean()


def test_not_now_keeps_the_copy_for_the_next_start(
    make_window: MakeWindow, workflow_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orphan = _orphan_of_a_rename(make_window, workflow_file, "Later")
    second = make_window()
    _answer(second, "later", monkeypatch)
    assert second.offer_recovery() is None
    assert orphan.exists()
    third = make_window()
    asked = _answer(third, "restore", monkeypatch)
    assert third.offer_recovery() is not None and len(asked) == 1


def test_an_untitled_workflow_is_recovered(
    make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_window()
    first.scene.add_node_of_kind("output", QPointF(100, 100))
    first.autosaver.autosave_now()
    first.autosaver.flush()
    _left_by_a_dead_process(first.autosaver.folder)
    second = make_window()
    asked = _answer(second, "restore", monkeypatch)
    assert second.offer_recovery() is not None
    assert asked == ["Untitled (never saved)"]
    assert second.document.path is None
    assert [n.kind for n in second.document.nodes] == ["output"]
    assert not second.undo_stack.isClean()


def test_closing_after_discarding_edits_leaves_no_copy(
    make_window: MakeWindow, workflow_file: Path
) -> None:
    window = make_window(closed_by_test=True)
    window.open_path(workflow_file)
    assert window.scene.rename_node("a", "Not wanted")
    window.autosaver.autosave_now()
    folder = window.autosaver.folder
    assert window.close()  # the unsaved-changes question is answered Discard
    window.deleteLater()
    assert list_entries(folder) == []


CRASHING_APP = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from desktop.main_window import MainWindow

    app = QApplication([])
    settings = QSettings(sys.argv[2], QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, db_path=sys.argv[3])
    window.show()
    window.open_path(sys.argv[1], ask=False)
    window.scene.rename_node("a", "Edited before the crash")
    window.autosaver.autosave_now()
    window.autosaver.flush()
    print("kept", flush=True)
    app.exec()
    """
)


@pytest.mark.slow
def test_edits_survive_the_app_being_killed(
    make_window: MakeWindow,
    workflow_file: Path,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**os.environ, "INTERLOCK_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    args = [str(workflow_file), str(tmp_path / "crash.ini"), str(tmp_path / "crash.db")]
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING_APP, *args],
        stdout=subprocess.PIPE,
        env=env,
        cwd=Path(__file__).parents[2],
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "kept"
        live = make_window()  # the app still runs: its copy is not offered
        assert live.recovery.orphans() == []
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    [entry] = list_entries(data_dir / "recovery")
    assert json.loads((data_dir / "recovery" / f"{entry.slot}.json").read_text())["path"]
    window = make_window()
    window.open_path(workflow_file)
    asked = _answer(window, "restore", monkeypatch)
    assert window.offer_recovery() is not None and asked == [str(workflow_file)]
    assert window.document.node("a").title == "Edited before the crash"
    assert window.document.path == workflow_file and window.isWindowModified()
    assert workflow_file.read_text(encoding="utf-8") == WORKFLOW
    window.autosaver.flush()
    left = {p.name for p in (data_dir / "recovery").iterdir()}
    own = window.autosaver.slot
    assert left == {f"{own}.json", f"{own}.lock"}  # the dead app's copy and lock are gone
