"""The open file changed on disk: reloaded when the window has no unsaved edits (the view
kept), else the bar asks Reload or Keep mine; the window's own saves never ask, and a file
an editor replaces by renaming over it stays watched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engine.workflow.loader import load_workflow

WORKFLOW = """\
# Chain of two templates, kept by hand.
version: 1
metadata:
  name: chain
nodes:
  - id: a
    kind: template
    title: Greeting   # shown on the canvas
    position: {x: 0, y: 0}
    config: {template: hello}
  - id: out
    kind: output
    position: {x: 300, y: 0}
edges:
  - {source: a.text, target: out.value}
"""


@pytest.fixture
def opened(window: MainWindow, tmp_path: Path) -> Path:
    path = tmp_path / "chain.interlock.yaml"
    path.write_text(WORKFLOW, encoding="utf-8")
    assert window.open_path(path)
    return path


def _edit_elsewhere(path: Path, old: str, new: str, *, replace: bool = False) -> None:
    """What another editor does: write in place, or write a new file and rename it over."""
    text = path.read_text(encoding="utf-8").replace(old, new)
    assert new in text
    if replace:
        tmp = path.with_name(".chain.swp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    else:
        path.write_text(text, encoding="utf-8")


def _title(window: MainWindow) -> str:
    return window.document.node("a").title


def test_a_change_on_disk_reloads_a_clean_document_keeping_the_view(
    qtbot: QtBot, window: MainWindow, opened: Path
) -> None:
    window.view.scale(1.7, 1.7)
    window.view.horizontalScrollBar().setValue(window.view.horizontalScrollBar().minimum())
    transform = window.view.transform()
    scroll = window.view.horizontalScrollBar().value()
    with qtbot.waitSignal(window.external_edits.watch.changed, timeout=10_000):
        _edit_elsewhere(opened, "Greeting", "Hello there")
    assert _title(window) == "Hello there"
    assert window.scene.node_items["a"].isVisible()
    assert window.undo_stack.isClean() and not window.isWindowModified()
    assert window.disk_bar.isHidden()
    assert window.view.transform() == transform
    assert window.view.horizontalScrollBar().value() == scroll


def test_with_unsaved_edits_the_bar_asks_and_reload_takes_the_disk_version(
    qtbot: QtBot, window: MainWindow, opened: Path
) -> None:
    assert window.scene.rename_node("out", "Result")
    with qtbot.waitSignal(window.external_edits.watch.changed, timeout=10_000):
        _edit_elsewhere(opened, "Greeting", "Hello there")
    assert window.disk_bar.isVisible()
    assert "chain.interlock.yaml" in window.disk_bar.message.text()
    assert _title(window) == "Greeting"  # nothing changed under the user's feet
    assert window.document.node("out").title == "Result"
    qtbot.mouseClick(window.disk_bar.reload_button, Qt.MouseButton.LeftButton)
    assert window.disk_bar.isHidden()
    assert _title(window) == "Hello there"
    assert window.document.node("out").title == ""
    assert window.undo_stack.isClean()


def test_keep_mine_keeps_the_edits_and_saving_writes_them(
    qtbot: QtBot, window: MainWindow, opened: Path
) -> None:
    assert window.scene.rename_node("out", "Result")
    with qtbot.waitSignal(window.external_edits.watch.changed, timeout=10_000):
        _edit_elsewhere(opened, "Greeting", "Hello there")
    qtbot.mouseClick(window.disk_bar.keep_button, Qt.MouseButton.LeftButton)
    assert window.disk_bar.isHidden()
    assert window.document.node("out").title == "Result" and _title(window) == "Greeting"
    window.undo_stack.undo()  # back to what was opened: still not what is on disk
    assert window.isWindowModified()
    window.undo_stack.redo()
    assert window.save()
    saved = load_workflow(opened).workflow
    assert saved.node("out").title == "Result" and saved.node("a").title == "Greeting"
    assert "# Chain of two templates, kept by hand." in opened.read_text(encoding="utf-8")
    with qtbot.assertNotEmitted(window.external_edits.watch.changed):
        window.external_edits.watch.check()  # the window's own save is not a change
    assert window.disk_bar.isHidden()


def test_the_windows_own_save_never_asks(qtbot: QtBot, window: MainWindow, opened: Path) -> None:
    assert window.scene.rename_node("a", "Hi")
    with qtbot.assertNotEmitted(window.external_edits.watch.changed):
        assert window.save()
        window.external_edits.watch.check()  # what the watch does when the save's event comes
    assert window.disk_bar.isHidden() and _title(window) == "Hi"
    lines = opened.read_text(encoding="utf-8").splitlines()
    comment_at = WORKFLOW.splitlines()[7].index("#")
    assert "    title: Hi".ljust(comment_at) + "# shown on the canvas" in lines


def test_a_file_replaced_by_rename_stays_watched(
    qtbot: QtBot, window: MainWindow, opened: Path
) -> None:
    with qtbot.waitSignal(window.external_edits.watch.changed, timeout=10_000):
        _edit_elsewhere(opened, "Greeting", "First", replace=True)
    assert _title(window) == "First"
    assert str(opened) in window.external_edits.watch.watching()
    with qtbot.waitSignal(window.external_edits.watch.changed, timeout=10_000):
        _edit_elsewhere(opened, "First", "Second", replace=True)
    assert _title(window) == "Second"


def test_a_fixed_unreadable_file_opens_when_it_changes(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "broken.interlock.yaml"
    path.write_text(WORKFLOW.replace("  name: chain", "  name: [chain"), encoding="utf-8")
    assert window.open_path(path)
    assert window.unreadable is not None
    with qtbot.waitSignal(window.external_edits.watch.changed, timeout=10_000):
        path.write_text(WORKFLOW, encoding="utf-8")
    assert window.unreadable is None and _title(window) == "Greeting"
