"""Documents as tabs of one window: a subworkflow opened from its parent is edited in a tab
with its own undo history and file, keyboard shortcuts act on the tab in front, closing a
tab or the window asks about each tab's unsaved edits (Cancel keeps what is left), and an
approval asked by a run in a tab at the back brings that tab forward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.cli import start_window
from desktop.main_window import MainWindow
from desktop.subworkflow_open import create_minimal
from desktop.window_tabs import WindowTabs, tabs_of
from engine.workflow.loader import load_workflow
from tests.desktop.canvas_helpers import at
from tests.desktop.run_helpers import approval_file, wait_finished
from tests.desktop.test_open_subworkflow import write_parent

Answer = QMessageBox.StandardButton
Ctrl = Qt.KeyboardModifier.ControlModifier


def _parent(folder: Path) -> Path:
    """A parent workflow in `folder` whose subworkflow node `sub` runs a minimal child."""
    create_minimal(folder / "child.interlock.yaml")
    return write_parent(folder, "child.interlock.yaml")


class Answers:
    """Stands in for a document's unsaved-changes question: answers from `queue`, first to
    last (then Discard), and keeps every answer given in `asked`."""

    def __init__(self, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
        self.queue: list[Answer] = []
        self.asked: list[Answer] = []
        monkeypatch.setattr(window, "ask_save_changes", self)

    def __call__(self) -> Answer:
        given = self.queue.pop(0) if self.queue else Answer.Discard
        self.asked.append(given)
        return given


def _tabs(qtbot: QtBot, window: MainWindow) -> WindowTabs:
    tabs = tabs_of(window)
    assert tabs is not None
    qtbot.addWidget(tabs)
    tabs.show()
    qtbot.waitExposed(tabs)
    tabs.activateWindow()
    qtbot.waitUntil(lambda: tabs.isActiveWindow())
    return tabs


def _key(tabs: WindowTabs, key: Qt.Key) -> None:
    document = tabs.current()
    assert document is not None
    QTest.keyClick(document.view.viewport(), key, Ctrl)


def test_a_subworkflow_is_edited_in_a_tab_of_its_own_and_closing_asks_for_that_tab(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    parent_file = _parent(tmp_path)
    child_file = tmp_path / "child.interlock.yaml"
    parent = start_window(str(parent_file), str(tmp_path / "runs.db"), settings)
    parent_answers = Answers(parent, monkeypatch)
    tabs = _tabs(qtbot, parent)
    assert tabs.documents() == [parent] and not tabs.tabs.tabBar().isVisible()
    assert tabs.windowTitle() == parent.windowTitle()  # one document: a plain window

    child = parent.open_subworkflow("sub")
    assert child is not None and tabs_of(child) is tabs
    child_answers = Answers(child, monkeypatch)
    assert tabs.documents() == [parent, child] and tabs.current() is child
    assert tabs.tabs.tabBar().isVisible()
    assert tabs.windowTitle() == child.windowTitle() and "child" in tabs.windowTitle()

    # An edit in the child is the child's: its own undo history, tab mark and file.
    child.scene.add_node_of_kind("template", QPointF(150, 150))
    assert child.undo_stack.count() == 1 and parent.undo_stack.count() == 0
    assert tabs.tabs.tabText(1) == "child *" and tabs.tabs.tabText(0) == "parent"
    assert tabs.isWindowModified()
    parent_before = parent_file.read_bytes()
    _key(tabs, Qt.Key.Key_S)  # Ctrl+S goes to the tab in front only
    saved = load_workflow(child_file).workflow
    assert sorted(n.kind for n in saved.nodes) == ["input", "output", "template"]
    assert parent_file.read_bytes() == parent_before
    assert tabs.tabs.tabText(1) == "child" and not tabs.isWindowModified()

    _key(tabs, Qt.Key.Key_PageUp)  # the previous tab
    assert tabs.current() is parent and tabs.windowTitle() == parent.windowTitle()
    _key(tabs, Qt.Key.Key_Z)  # the parent has nothing to undo: the child keeps its node
    assert child.undo_stack.index() == 1 and len(child.document.workflow.nodes) == 3
    _key(tabs, Qt.Key.Key_PageDown)
    assert tabs.current() is child
    _key(tabs, Qt.Key.Key_Z)
    assert child.undo_stack.index() == 0 and len(child.document.workflow.nodes) == 2
    assert tabs.tabs.tabText(1) == "child *"  # unsaved again: the file still has 3 nodes

    # Closing the child's tab asks about the child's edits; Cancel keeps the tab.
    child_answers.queue.append(Answer.Cancel)
    tabs.tabs.tabCloseRequested.emit(1)
    assert child_answers.asked == [Answer.Cancel] and tabs.documents() == [parent, child]
    tabs.show_document(parent)
    _key(tabs, Qt.Key.Key_W)  # File ▸ Close on the parent: it has nothing unsaved
    assert parent_answers.asked == [] and tabs.documents() == [child]
    assert tabs.isVisible() and not tabs.tabs.tabBar().isVisible()

    # Quit from the last tab closes the window; the unsaved child is asked about first.
    child_answers.queue.append(Answer.Cancel)
    child.actions_.quit.trigger()
    assert tabs.isVisible() and tabs.documents() == [child]
    child.actions_.quit.trigger()  # Discard
    assert child_answers.asked == [Answer.Cancel, Answer.Cancel, Answer.Discard]
    qtbot.waitUntil(lambda: not tabs.isVisible())
    assert len(load_workflow(child_file).workflow.nodes) == 3  # as saved, nothing lost
    assert parent_answers.asked == []


def test_closing_the_window_closes_tab_after_tab_and_cancel_keeps_the_rest(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    parent = start_window(str(_parent(tmp_path)), str(tmp_path / "runs.db"), settings)
    parent_answers = Answers(parent, monkeypatch)
    tabs = _tabs(qtbot, parent)
    child = parent.open_subworkflow("sub")
    assert child is not None
    child_answers = Answers(child, monkeypatch)
    parent.scene.add_node_of_kind("template", QPointF(150, 150))
    child.scene.add_node_of_kind("template", QPointF(150, 150))
    tabs.show_document(parent)

    child_answers.queue.append(Answer.Cancel)  # the parent (in front) is asked first: Discard
    assert not tabs.close()
    assert parent_answers.asked == [Answer.Discard] and child_answers.asked == [Answer.Cancel]
    assert tabs.isVisible() and tabs.current() is child  # shown while it was asked
    assert tabs.documents() == [child]  # the parent, discarded, is closed; the rest stays
    assert child.undo_stack.count() == 1 and child.isWindowModified()  # still to save

    assert tabs.close()  # Discard
    assert child_answers.asked == [Answer.Cancel, Answer.Discard]
    assert not tabs.isVisible() and settings.value("window/geometry") is not None


def test_an_approval_asked_by_a_run_in_a_tab_at_the_back_brings_that_tab_forward(
    qtbot: QtBot, qloop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    runs = start_window(str(approval_file(tmp_path)), str(tmp_path / "runs.db"), settings)
    Answers(runs, monkeypatch)
    tabs = _tabs(qtbot, runs)
    other = MainWindow(runs.registry, settings, str(tmp_path / "runs.db"))
    Answers(other, monkeypatch)
    tabs.add(other)

    opened: list[object] = []
    runs.run_ui.approver.opened.connect(opened.append)
    tabs.show_document(runs)
    runs.actions_.run.trigger()
    tabs.show_document(other)  # the user moves on while the run starts
    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    assert tabs.current() is runs  # the question is shown over the run it is about
    dialog = runs.run_ui.approver.dialogs[0]
    qtbot.waitUntil(dialog.isVisible)
    dialog.approve()
    run = wait_finished(qtbot, runs)
    assert run.status == "succeeded"


@pytest.mark.parametrize("pointer", ["on the tab bar", "over the canvas elsewhere"])
def test_the_parent_canvas_stays_where_it_was_after_open_subworkflow_from_its_menu(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pointer: str
) -> None:
    """The node's menu takes the mouse from the canvas, so the canvas never hears the
    mouse leave; shown again with the pointer elsewhere (on the tab bar, or over the
    canvas where a dialog's button was), it must not scroll to keep that node under the
    pointer."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    parent = start_window(str(_parent(tmp_path)), str(tmp_path / "runs.db"), settings)
    Answers(parent, monkeypatch)
    tabs = _tabs(qtbot, parent)
    view, item = parent.view, parent.scene.node_items["sub"]
    viewport = view.viewport()
    over_node = at(view, item.sceneBoundingRect().center())
    QCursor.setPos(viewport.mapToGlobal(over_node))
    QTest.mouseMove(viewport, over_node)  # the last place the canvas saw the mouse
    child = parent.open_subworkflow("sub")  # what the menu's Open Subworkflow does
    assert child is not None and tabs.current() is child
    Answers(child, monkeypatch)
    # What the canvas still believes on X11 when its menu took the mouse: under the mouse.
    view.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, True)
    centre = view.visible_center()

    bar = tabs.tabs.tabBar()
    if pointer == "on the tab bar":  # the user clicks the parent's tab
        QCursor.setPos(bar.mapToGlobal(bar.tabRect(0).center()))
    else:  # the child's tab closed from a dialog whose button was over the canvas
        QCursor.setPos(viewport.mapToGlobal(over_node + QPoint(120, 90)))
    tabs.show_document(parent)
    assert view.isVisible() and view.visible_center() == centre
