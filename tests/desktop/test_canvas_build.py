"""A whole workflow built the way a person would: palette drop, quick-add, connecting by
drag, in-place rename, an inspector edit; then undo to empty, redo, save, reload; paste
into a second window; an invalid connection refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.canvas.node_item import TITLE_RECT
from desktop.inspector.fields import MultilineEditor
from desktop.main_window import MainWindow
from engine.nodes.base import NodeRegistry
from engine.workflow.annotations import dumps_document
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import dumps_workflow
from tests.desktop.canvas_helpers import at, double_click, drag, port_point


def _drop_from_palette(window: MainWindow, kind: str, pos: QPoint) -> None:
    palette = window.palette_widget
    item = palette.item_for(kind)
    assert item is not None
    data = palette.list.mimeData([item])  # what a drag out of the palette carries
    event = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.view.dropEvent(event)


def _quick_add(qtbot: QtBot, window: MainWindow, kind: str, pos: QPoint) -> None:
    double_click(window.view, pos)
    qtbot.waitUntil(window.view.quick_add.isVisible)
    qtbot.keyClicks(window.view.quick_add.search, kind)
    QTest.keyClick(window.view.quick_add.search, Qt.Key.Key_Return)


def _build(qtbot: QtBot, window: MainWindow) -> None:
    view = window.view
    view.resetTransform()
    view.centerOn(QPointF(300, 150))
    _drop_from_palette(window, "template", at(view, QPointF(100, 100)))
    _quick_add(qtbot, window, "output", at(view, QPointF(450, 100)))
    assert [n.kind for n in window.document.nodes] == ["template", "output"]

    view.centerOn(QPointF(300, 150))
    drag(
        view,
        port_point(view, "template", "text", "out"),
        port_point(view, "output", "value", "in"),
    )
    assert [str(e.target) for e in window.document.edges] == ["output.value"]

    title = window.scene.node_items["template"].mapToScene(TITLE_RECT.center())
    view.centerOn(title)
    double_click(view, at(view, title))
    assert view.editor is not None
    qtbot.keyClicks(view.editor, "Greeting")
    QTest.keyClick(view.editor, Qt.Key.Key_Return)
    assert window.scene.node_items["template"].title == "Greeting"

    window.scene.select_nodes(["template"])
    assert window.inspector.node_id == "template" and window.inspector.config_form
    editor = window.inspector.config_form.editor("template")
    assert isinstance(editor, MultilineEditor)
    editor.text.setPlainText("Hello {{ in }}!")
    editor.commit()
    assert window.document.node("template").config["template"] == "Hello {{ in }}!"


def test_build_undo_redo_save_reload(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _build(qtbot, window)
    built = dumps_workflow(window.document.workflow)
    steps = window.undo_stack.count()
    assert steps == 5  # drop, quick-add, connect, rename, config edit

    for _ in range(steps):
        window.actions_.undo.trigger()
    assert window.document.nodes == [] and window.document.edges == []
    assert window.scene.node_items == {} and window.scene.edge_items == {}
    assert not window.isWindowModified()
    for _ in range(steps):
        window.actions_.redo.trigger()
    assert dumps_workflow(window.document.workflow) == built
    assert set(window.scene.node_items) == {"template", "output"}
    assert len(window.scene.edge_items) == 1

    path = tmp_path / "built.interlock.yaml"
    assert window._save_to(path)
    reloaded = WorkflowDocument.open(path)
    assert dumps_workflow(reloaded.workflow) == built
    assert path.read_text(encoding="utf-8") == dumps_document(reloaded.workflow, [])
    window.open_path(path, ask=False)
    assert dumps_workflow(window.document.workflow) == built


@pytest.fixture
def second_window(
    qtbot: QtBot, tmp_path: Path, registry: NodeRegistry, monkeypatch: pytest.MonkeyPatch
) -> MainWindow:
    settings = QSettings(str(tmp_path / "second.ini"), QSettings.Format.IniFormat)
    win = MainWindow(registry, settings, db_path=str(tmp_path / "second.db"))
    monkeypatch.setattr(win, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_paste_across_two_windows(
    qtbot: QtBot, window: MainWindow, second_window: MainWindow
) -> None:
    _build(qtbot, window)
    window.view.setFocus()
    window.scene.select_all()
    window.actions_.copy.trigger()
    assert QGuiApplication.clipboard().mimeData().hasText()

    second_window.view.setFocus()
    second_window.actions_.paste.trigger()
    pasted = second_window.document
    assert [n.kind for n in pasted.nodes] == ["template", "output"]
    assert pasted.node("template").title == "Greeting"
    assert pasted.node("template").config == window.document.node("template").config
    assert [str(e.source) for e in pasted.edges] == ["template.text"]
    assert set(second_window.scene.node_items) == {"template", "output"}
    assert second_window.undo_stack.count() == 1 and window.undo_stack.count() == 5


def test_an_invalid_connection_is_refused(qtbot: QtBot, window: MainWindow) -> None:
    _build(qtbot, window)
    before = dumps_workflow(window.document.workflow)
    view = window.view
    # output.value -> template.in would close a loop.
    view.centerOn(QPointF(300, 150))
    drag(view, port_point(view, "output", "value", "out"), port_point(view, "template", "in", "in"))
    assert dumps_workflow(window.document.workflow) == before
    assert "cycle" in window.statusBar().currentMessage()
    assert window.undo_stack.count() == 5 and len(window.scene.edge_items) == 1
