"""Right-click menus on the canvas, opened by a real right-click and used by clicking
their entries: each edit is the document's change and one undo step."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from tests.desktop.canvas_helpers import at
from tests.desktop.conftest import chain_workflow

Right = Qt.MouseButton.RightButton
NoMod = Qt.KeyboardModifier.NoModifier


def _window(window: MainWindow) -> MainWindow:
    window._load(chain_workflow(), None)
    window.view.resetTransform()
    window.view.centerOn(QPointF(350, 100))
    return window


def _right_click(qtbot: QtBot, window: MainWindow, pos: QPoint) -> QMenu:
    viewport = window.view.viewport()
    QTest.mouseClick(viewport, Right, NoMod, pos)
    # What the window system sends after a right-click (QTest's click alone does not).
    reason = QContextMenuEvent.Reason.Mouse
    QApplication.sendEvent(viewport, QContextMenuEvent(reason, pos, viewport.mapToGlobal(pos)))
    menu = window.canvas_menus.menu
    assert menu is not None
    qtbot.waitUntil(menu.isVisible)
    return menu


def _entries(menu: QMenu) -> list[str]:
    return [a.text().split("\t")[0].replace("&", "") for a in menu.actions()]


def _click(menu: QMenu, text: str) -> None:
    act = next(a for a in menu.actions() if a.text().split("\t")[0].replace("&", "") == text)
    assert isinstance(act, QAction) and act.isEnabled(), text
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, NoMod, menu.actionGeometry(act).center())
    assert not menu.isVisible()


def _node_point(window: MainWindow, node_id: str) -> QPoint:
    return at(window.view, window.scene.node_items[node_id].sceneBoundingRect().center())


def test_node_menu_has_edit_and_run_entries_and_each_edit_is_one_undo_step(
    qtbot: QtBot, window: MainWindow
) -> None:
    _window(window)
    doc, stack = window.document, window.undo_stack
    menu = _right_click(qtbot, window, _node_point(window, "b"))
    assert _entries(menu) == [
        "Rename",
        "Duplicate",
        "Copy",
        "Delete",
        "Collapse",
        "",
        "Run from Here",
        "Show Run Details",
    ]
    assert window.scene.selected_node_ids() == ["b"]  # the menu acts on the node clicked
    _click(menu, "Duplicate")
    assert len(doc.nodes) == 4 and stack.count() == 1
    stack.undo()
    assert [n.id for n in doc.nodes] == ["a", "b", "out"]

    menu = _right_click(qtbot, window, _node_point(window, "b"))
    _click(menu, "Delete")
    assert [n.id for n in doc.nodes] == ["a", "out"] and doc.edges == []
    stack.undo()
    assert [n.id for n in doc.nodes] == ["a", "b", "out"] and len(doc.edges) == 2

    menu = _right_click(qtbot, window, _node_point(window, "a"))
    _click(menu, "Rename")
    editor = window.view.editor
    assert editor is not None
    editor.setText("Hello")  # type: ignore[union-attr]
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert doc.node("a").title == "Hello"
    stack.undo()
    assert doc.node("a").title == "Greeting"


def test_the_node_menu_is_the_only_one_shown(qtbot: QtBot, window: MainWindow) -> None:
    """The run entries live in the node menu; no second menu pops up over it."""
    _window(window)
    before = {id(w) for w in window.findChildren(QMenu) if w.isVisible()}
    menu = _right_click(qtbot, window, _node_point(window, "b"))
    shown = [w for w in window.findChildren(QMenu) if w.isVisible() and id(w) not in before]
    assert shown == [menu]


def test_edge_menu_deletes_the_connection_in_one_undo_step(
    qtbot: QtBot, window: MainWindow
) -> None:
    _window(window)
    doc = window.document
    item = next(e for e in window.scene.edge_items.values() if e.edge.target.node == "out")
    middle = item.mapToScene(item.path().pointAtPercent(0.5))
    menu = _right_click(qtbot, window, at(window.view, middle))
    assert _entries(menu) == ["Add Reroute Point", "Delete Connection"]
    _click(menu, "Delete Connection")
    assert [(e.source.node, e.target.node) for e in doc.edges] == [("a", "b")]
    assert len(doc.nodes) == 3
    window.undo_stack.undo()
    assert len(doc.edges) == 2


def test_edge_menu_adds_a_reroute_point_and_its_menu_removes_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    _window(window)
    doc = window.document
    item = next(e for e in window.scene.edge_items.values() if e.edge.target.node == "out")
    middle = item.mapToScene(item.path().pointAtPercent(0.5))
    _click(_right_click(qtbot, window, at(window.view, middle)), "Add Reroute Point")
    via = doc.edges[1].ui.via
    assert len(via) == 1 and abs(via[0].x - middle.x()) < 2 and abs(via[0].y - middle.y()) < 2
    assert window.undo_stack.count() == 1
    handle = window.scene.edge_items[("b", "text", "out", "value")].handles[0]
    menu = _right_click(qtbot, window, at(window.view, handle.scenePos()))
    assert _entries(menu) == ["Remove Reroute Point"]
    _click(menu, "Remove Reroute Point")
    assert doc.edges[1].ui.via == [] and window.undo_stack.count() == 2
    window.undo_stack.undo()
    assert len(doc.edges[1].ui.via) == 1


def test_canvas_menu_adds_at_the_click_and_has_the_view_commands(
    qtbot: QtBot, window: MainWindow
) -> None:
    _window(window)
    doc, view = window.document, window.view
    empty = at(view, QPointF(300, 300))
    menu = _right_click(qtbot, window, empty)
    assert _entries(menu) == [
        "Add Node…",
        "Add Note",
        "",
        "Paste",
        "Select All",
        "",
        "Zoom to Fit",
        "Auto Layout",
    ]
    _click(menu, "Add Note")
    assert len(doc.annotations) == 1
    note = doc.annotations[0]
    assert note.kind == "note"
    centre = QPointF(note.x + note.width / 2, note.y + note.height / 2)
    assert (centre - QPointF(300, 300)).manhattanLength() < 2
    window.undo_stack.undo()
    assert doc.annotations == []

    menu = _right_click(qtbot, window, empty)
    _click(menu, "Add Node…")
    qtbot.waitUntil(view.quick_add.isVisible)
    qtbot.keyClicks(view.quick_add.search, "output")
    QTest.keyClick(view.quick_add.search, Qt.Key.Key_Return)
    added = doc.nodes[-1]
    assert added.kind == "output" and window.undo_stack.count() == 1
    header = window.scene.node_items[added.id].sceneBoundingRect()
    assert abs(header.center().x() - 300) < 8  # centred where the menu was opened

    menu = _right_click(qtbot, window, at(view, QPointF(300, 500)))
    _click(menu, "Select All")
    assert sorted(window.scene.selected_node_ids()) == sorted(n.id for n in doc.nodes)
