"""The start panel over an empty untitled canvas: shown on a blank window, hidden once the
document has a node or a file, and its example cards open a copy as a new workflow."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.resources import EXAMPLE, examples
from engine.workflow.loader import dumps_workflow, load_workflow
from tests.desktop.canvas_helpers import at
from tests.desktop.conftest import chain_workflow

Left = Qt.MouseButton.LeftButton
NoMod = Qt.KeyboardModifier.NoModifier


def _shown(window: MainWindow) -> bool:
    return window.start_panel.isVisible()


def test_blank_window_shows_the_panel_until_a_node_is_dropped(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.document.path is None and not window.document.workflow.nodes
    assert _shown(window)
    panel = window.start_panel.geometry()
    assert window.view.rect().contains(panel.center(), proper=True)  # over the canvas
    assert len(window.start_panel.example_cards) == len(examples())

    palette = window.palette_widget
    item = palette.item_for("template")
    assert item is not None
    pos = at(window.view, QPointF(100, 100))
    data = palette.list.mimeData([item])  # kept alive while the event uses it
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, data, Left, NoMod)
    window.view.dropEvent(drop)
    assert len(window.document.workflow.nodes) == 1
    assert not _shown(window)
    window.undo_stack.undo()  # empty and untitled again
    assert _shown(window)


def test_opening_a_file_hides_the_panel_and_new_brings_it_back(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "chain.interlock.yaml"
    path.write_text(dumps_workflow(chain_workflow()), encoding="utf-8")
    assert window.open_path(path)
    assert not _shown(window)
    window.new_file()
    assert _shown(window)
    assert str(path.resolve()) in window.start_panel.recent_buttons  # the recent list
    QTest.mouseClick(window.start_panel.recent_buttons[str(path.resolve())], Left)
    assert window.document.path == path.resolve() and not _shown(window)


def test_new_workflow_hides_the_panel_for_this_blank_document(window: MainWindow) -> None:
    QTest.mouseClick(window.start_panel.new_button, Left)
    assert not _shown(window) and window.document.path is None


def test_an_example_card_opens_a_copy_as_an_untitled_workflow(window: MainWindow) -> None:
    for path in examples():
        before = path.read_bytes()
        window.new_file()
        assert _shown(window)
        QTest.mouseClick(window.start_panel.example_cards[path], Left)
        assert window.document.path is None  # Save asks where
        expected = [n.id for n in load_workflow(path).workflow.nodes]
        assert [n.id for n in window.document.workflow.nodes] == expected and expected
        assert not _shown(window)
        assert path.read_bytes() == before
    assert examples()[0] == EXAMPLE  # File ▸ Open Example's workflow leads


def test_file_menu_lists_the_same_examples(window: MainWindow) -> None:
    file = window.menuBar().actions()[0].menu()
    assert file is not None
    submenu = next(a.menu() for a in file.actions() if a.text() == "New from Examp&le")
    entries = submenu.actions()
    assert [a.text() for a in entries] == [
        window.start_panel.example_cards[p].text() for p in examples()
    ]
    entries[-1].trigger()
    assert window.document.path is None and window.document.workflow.nodes
