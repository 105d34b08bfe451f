"""Open Subworkflow, from a node's right-click menu and from the inspector: the child file,
resolved next to the parent as a run resolves it, opens in a second tab of the same
window; a missing one is offered for creation and then opens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QPushButton
from pytestqt.qtbot import QtBot

from desktop import subworkflow_open
from desktop.main_window import MainWindow
from desktop.resources import EXAMPLES
from desktop.window_tabs import tabs_of
from engine.nodes import builtin_registry
from engine.runtime.validate import validate
from engine.workflow.loader import dumps_workflow, load_workflow
from engine.workflow.model import Workflow
from tests.desktop.canvas_helpers import at

Left, Right = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
NoMod = Qt.KeyboardModifier.NoModifier


def write_parent(folder: Path, child: str) -> Path:
    """`folder`/parent.interlock.yaml: a subworkflow node `sub` running `child`, and an output."""
    workflow = Workflow.model_validate(
        {
            "metadata": {"name": "parent"},
            "nodes": [
                {
                    "id": "sub",
                    "kind": "subworkflow",
                    "position": {"x": 0, "y": 0},
                    "config": {"workflow": child},
                },
                {"id": "out", "kind": "output", "position": {"x": 300, "y": 0}},
            ],
        }
    )
    path = folder / "parent.interlock.yaml"
    path.write_text(dumps_workflow(workflow), encoding="utf-8")
    return path


@pytest.fixture
def opened() -> Iterator[list[MainWindow]]:
    """Windows Open Subworkflow made, closed at the end."""
    made: list[MainWindow] = []
    yield made
    for child in made:
        child.close()


def _save_as_answers(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Save As's file dialog answers `path` (its folder made)."""
    path.parent.mkdir()
    monkeypatch.setattr(
        "desktop.main_window.file_dialogs.save_file_name", lambda *_a, **_k: (str(path), "")
    )
    return path


def _right_click_node(qtbot: QtBot, window: MainWindow, node_id: str) -> QMenu:
    window.view.resetTransform()
    window.view.centerOn(window.scene.node_items[node_id].sceneBoundingRect().center())
    pos: QPoint = at(window.view, window.scene.node_items[node_id].sceneBoundingRect().center())
    viewport = window.view.viewport()
    QTest.mouseClick(viewport, Right, NoMod, pos)
    reason = QContextMenuEvent.Reason.Mouse
    QApplication.sendEvent(viewport, QContextMenuEvent(reason, pos, viewport.mapToGlobal(pos)))
    menu = window.canvas_menus.menu
    assert menu is not None
    qtbot.waitUntil(menu.isVisible)
    return menu


def _click(menu: QMenu, text: str) -> None:
    act = next(a for a in menu.actions() if a.text().split("\t")[0] == text)
    assert isinstance(act, QAction) and act.isEnabled(), text
    QTest.mouseClick(menu, Left, NoMod, menu.actionGeometry(act).center())


def _others(window: MainWindow) -> list[MainWindow]:
    """The other documents open: tabs of `window`'s window, or windows of their own."""
    tabs = tabs_of(window)
    documents = tabs.documents() if tabs is not None else []
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    return [w for w in documents + windows if w is not window and w.isVisible()]


def test_open_subworkflow_from_the_node_menu_opens_the_child_in_a_second_tab(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, opened: list[MainWindow]
) -> None:
    (tmp_path / "flows").mkdir()
    child = tmp_path / "flows" / "child.interlock.yaml"
    subworkflow_open.create_minimal(child)
    assert window.open_path(write_parent(tmp_path, "flows/child.interlock.yaml"))
    menu = _right_click_node(qtbot, window, "sub")
    _click(menu, "Open Subworkflow")
    tabs = tabs_of(window)
    assert tabs is not None and tabs.isVisible()  # the window became the first tab
    opened += _others(window)
    assert len(opened) == 1
    second = opened[0]
    assert tabs.documents() == [window, second] and tabs.current() is second
    assert second.document.path == child.resolve()
    assert [n.id for n in second.document.workflow.nodes] == ["input", "output"]
    assert window.document.path == tmp_path / "parent.interlock.yaml"  # unchanged
    assert [tabs.tabs.tabText(i) for i in range(2)] == ["parent", "child"]

    tabs.show_document(window)
    _click(_right_click_node(qtbot, window, "sub"), "Open Subworkflow")
    assert _others(window) == [second]  # the tab already showing it comes forward
    assert tabs.current() is second
    tabs.show_document(window)

    menu = _right_click_node(qtbot, window, "out")  # a node that runs no file
    assert "Open Subworkflow" not in [a.text() for a in menu.actions()]
    menu.close()


def test_a_missing_child_is_offered_for_creation_then_opens_from_the_inspector(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    opened: list[MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[Path] = []

    def answer(_window: MainWindow, path: Path) -> bool:
        asked.append(path)
        return len(asked) > 1  # No the first time, Yes the second

    monkeypatch.setattr(subworkflow_open, "ask_create", answer)
    assert window.open_path(write_parent(tmp_path, "new_step.interlock.yaml"))
    child = tmp_path / "new_step.interlock.yaml"
    window.scene.select_nodes(["sub"])
    button = window.inspector.findChild(QPushButton, "open_subworkflow")
    assert button is not None
    QTest.mouseClick(button, Left)
    assert asked == [child] and not child.exists() and _others(window) == []

    QTest.mouseClick(button, Left)
    opened += _others(window)
    assert len(opened) == 1 and opened[0].document.path == child.resolve()
    loaded = load_workflow(child).workflow
    report = validate(loaded, builtin_registry(), None, tmp_path)
    assert report.ok and {n.kind for n in loaded.nodes} == {"input", "output"}
    window.validate_now()
    assert not [e for e in window.last_report.errors if "not found" in e.message]  # found now


def test_an_untitled_parent_is_saved_first_so_the_child_is_found_next_to_it(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    opened: list[MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "working_folder"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a run resolves an unsaved parent's child here
    (tmp_path / "source").mkdir()
    window.open_example_file(write_parent(tmp_path / "source", "step.interlock.yaml"))
    assert window.document.path is None  # opened as a copy, like New from Example
    asked: list[str] = []

    def save_first(_window: MainWindow) -> bool:
        asked.append("save")
        return len(asked) > 1  # No the first time, Yes the second

    monkeypatch.setattr(subworkflow_open, "ask_save_parent", save_first)
    monkeypatch.setattr(subworkflow_open, "ask_create", lambda _w, _p: True)
    saved_as = _save_as_answers(tmp_path / "mine" / "parent.interlock.yaml", monkeypatch)

    assert window.open_subworkflow("sub") is None  # No: nothing saved, nothing created
    assert asked == ["save"] and window.document.path is None
    assert list(elsewhere.iterdir()) == [] and not saved_as.exists()

    child_window = window.open_subworkflow("sub")  # Yes: saved, then the child made beside it
    assert child_window is not None
    opened.append(child_window)
    assert window.document.path == saved_as and saved_as.is_file()
    assert child_window.document.path == (saved_as.parent / "step.interlock.yaml").resolve()
    assert list(elsewhere.iterdir()) == []


def test_a_copy_of_the_subworkflow_example_works_unsaved_and_takes_its_child_when_saved(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    opened: list[MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New from Example opens a copy: its child is found in the example's folder until the
    copy is saved, and saving it the first time puts the child beside it, so the copy runs
    and its child opens (and is edited) there, never in the install folder."""
    example = EXAMPLES / "support_inbox" / "support_inbox.interlock.yaml"
    installed_child = example.parent / "triage_review.interlock.yaml"
    before = installed_child.read_bytes()
    window.open_example_file(example)
    assert window.document.path is None
    assert window.validate_now().ok  # the child is found next to the example
    assert window.run_controller.base_dir() == example.parent

    saved_as = _save_as_answers(tmp_path / "mine" / "inbox.interlock.yaml", monkeypatch)
    monkeypatch.setattr(subworkflow_open, "ask_save_parent", lambda _w: True)
    child = window.open_subworkflow("triage")  # asks to save the parent first: Yes
    assert child is not None
    opened.append(child)
    copied = saved_as.parent / "triage_review.interlock.yaml"
    assert copied.read_bytes() == before and child.document.path == copied.resolve()
    assert window.run_controller.base_dir() == saved_as.parent
    assert window.validate_now().ok
    assert "triage_review.interlock.yaml beside it" in window.statusBar().currentMessage()

    assert child.scene.rename_node("classify", "Sort the review")
    assert child.save()
    assert installed_child.read_bytes() == before  # the example itself is never written
    assert "Sort the review" in copied.read_text(encoding="utf-8")
