"""Canvas editing by mouse and keyboard: in-place rename, moving and detaching edge ends,
port marks while connecting, the quick-add popup."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.canvas.inline_edit import InlineEditor
from desktop.canvas.node_item import TITLE_RECT
from desktop.canvas.view import WorkflowView
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import dumps_workflow
from engine.workflow.model import Node, Position
from tests.desktop.canvas_helpers import at, double_click, drag, port_point


def _targets(document: WorkflowDocument) -> list[str]:
    return [f"{e.source}->{e.target}" for e in document.edges]


def _title_point(view: WorkflowView, node_id: str) -> QPointF:
    item = view.workflow_scene.node_items[node_id]
    return item.mapToScene(TITLE_RECT.center())


def test_inline_rename_enter_commits_and_esc_cancels(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    canvas.centerOn(QPointF(300, 40))
    double_click(canvas, at(canvas, _title_point(canvas, "b")))
    editor = canvas.editor
    assert isinstance(editor, InlineEditor) and editor.isVisible()
    assert editor.text() == "b" and editor.selectedText() == "b"
    qtbot.keyClicks(editor, "Shout")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert document.node("b").title == "Shout"
    assert scene.node_items["b"].title == "Shout"
    assert undo_stack.count() == 1 and undo_stack.text(0) == "Rename b"
    assert canvas.editor is None and not editor.isVisible()

    double_click(canvas, at(canvas, _title_point(canvas, "b")))
    second = canvas.editor
    assert isinstance(second, InlineEditor)
    qtbot.keyClicks(second, "Nope")
    QTest.keyClick(second, Qt.Key.Key_Escape)
    assert document.node("b").title == "Shout" and undo_stack.count() == 1

    undo_stack.undo()
    assert document.node("b").title == "" and scene.node_items["b"].title == "b"


def test_f2_renames_the_selected_node(qtbot: QtBot, window: object) -> None:
    from desktop.main_window import MainWindow
    from tests.desktop.conftest import chain_workflow

    assert isinstance(window, MainWindow)
    window._load(chain_workflow(), None)
    window.scene.select_nodes(["a"])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_F2)
    editor = window.view.editor
    assert isinstance(editor, InlineEditor) and editor.text() == "Greeting"
    qtbot.keyClicks(editor, "Hello")
    QTest.keyClick(editor, Qt.Key.Key_Enter)
    assert window.document.node("a").title == "Hello"


def _add_second_output(document: WorkflowDocument) -> None:
    document.add_node(Node(id="out2", kind="output", position=Position(x=600, y=200)))


def test_dragging_an_input_end_to_another_input_moves_the_edge(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    _add_second_output(document)
    canvas.centerOn(QPointF(500, 120))
    start = port_point(canvas, "out", "value", "in")
    end = port_point(canvas, "out2", "value", "in")
    drag(canvas, start, end)
    assert _targets(document) == ["a.text->b.in", "b.text->out2.value"]
    assert ("b", "text", "out2", "value") in scene.edge_items
    assert ("b", "text", "out", "value") not in scene.edge_items
    assert scene.node_items["out2"].inputs["value"].connected
    assert not scene.node_items["out"].inputs["value"].connected
    assert undo_stack.count() == 1 and undo_stack.text(0).startswith("Reconnect")
    assert scene.drag is None and _positions_unchanged(document)

    undo_stack.undo()
    assert _targets(document) == ["a.text->b.in", "b.text->out.value"]
    assert scene.edge_items[("b", "text", "out", "value")].opacity() == 1.0


def _positions_unchanged(document: WorkflowDocument) -> bool:
    return [(n.position.x, n.position.y) for n in document.nodes] == [
        (0, 0),
        (300, 0),
        (600, 0),
        (600, 200),
    ]


def test_dropping_an_input_end_on_the_canvas_detaches_the_edge(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    before = dumps_workflow(document.workflow)
    canvas.centerOn(QPointF(300, 100))
    start = port_point(canvas, "b", "in", "in")
    drag(canvas, start, at(canvas, QPointF(200, 250)))
    assert _targets(document) == ["b.text->out.value"]
    assert ("a", "text", "b", "in") not in scene.edge_items
    assert undo_stack.count() == 1 and undo_stack.text(0) == "Detach a.text from b.in"
    undo_stack.undo()
    assert dumps_workflow(document.workflow) == before and len(scene.edge_items) == 2


def test_grabbing_the_edge_near_its_end_also_moves_it(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    _add_second_output(document)
    canvas.centerOn(QPointF(500, 120))
    end = canvas.workflow_scene.edge_items[("b", "text", "out", "value")].path()
    near = end.pointAtPercent(0.97)  # on the curve, just before the port
    drag(canvas, at(canvas, near), port_point(canvas, "out2", "value", "in"))
    assert _targets(document) == ["a.text->b.in", "b.text->out2.value"]
    assert undo_stack.count() == 1


def test_incompatible_reconnect_is_refused_and_the_edge_stays(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    document.set_node_config("b", {"template": "{{ in }}!", "output_type": "boolean"})
    document.add_node(Node(id="sink", kind="number_sink", position=Position(x=600, y=200)))
    hints: list[str] = []
    scene.hint.connect(hints.append)
    canvas.centerOn(QPointF(500, 120))
    drag(
        canvas, port_point(canvas, "out", "value", "in"), port_point(canvas, "sink", "number", "in")
    )
    assert _targets(document) == ["a.text->b.in", "b.text->out.value"]
    assert "type mismatch" in hints[-1] and undo_stack.count() == 0
    assert scene.edge_items[("b", "text", "out", "value")].opacity() == 1.0


def test_ports_are_marked_while_a_connection_is_dragged(
    canvas: WorkflowView, document: WorkflowDocument
) -> None:
    scene = canvas.workflow_scene
    document.set_node_config("a", {"template": "hi", "inputs": [], "output_type": "boolean"})
    document.add_node(Node(id="sink", kind="number_sink", position=Position(x=300, y=200)))
    _add_second_output(document)
    canvas.centerOn(QPointF(300, 120))
    start = port_point(canvas, "a", "text", "out")
    drag(canvas, start, at(canvas, QPointF(250, 300)), release=False)
    items = scene.node_items
    assert items["out2"].inputs["value"].drop_state == "ok"  # free, `any`
    assert items["sink"].inputs["number"].drop_state == "no"  # boolean into number
    assert items["b"].inputs["in"].drop_state == "no"  # already fed
    assert items["b"].outputs["text"].drop_state == "no"  # output to output
    assert items["a"].outputs["text"].drop_state is None  # where the drag started
    assert scene.drag is not None and scene.drag.preview.scene() is scene
    canvas.grab()  # paints the marks (no exception in paint)
    QTest.mouseRelease(
        canvas.viewport(), Qt.MouseButton.LeftButton, pos=at(canvas, QPointF(250, 300))
    )
    assert all(
        p.drop_state is None
        for i in items.values()
        for p in [*i.inputs.values(), *i.outputs.values()]
    )


def test_quick_add_by_double_click_on_empty_canvas(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    canvas.centerOn(QPointF(300, 100))
    spot = at(canvas, QPointF(150, 300))
    double_click(canvas, spot)
    popup = canvas.quick_add
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClicks(popup.search, "jo")
    assert popup.visible_kinds() == ["join"]
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    node = document.node("join")
    item = canvas.workflow_scene.node_items["join"]
    header = item.mapToScene(QPointF(100, 22))
    assert abs(header.x() - 150) <= 1 and abs(header.y() - 300) <= 1
    assert (node.position.x, node.position.y) == (item.pos().x(), item.pos().y())
    assert undo_stack.count() == 1
    undo_stack.undo()
    assert not document.has_node("join")


def test_quick_add_arrow_keys_choose_among_matches(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument
) -> None:
    canvas.open_quick_add()
    popup = canvas.quick_add
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClicks(popup.search, "put")  # names and descriptions match
    shown = popup.visible_kinds()
    assert {"input", "output"} <= set(shown) and "llm" not in shown
    QTest.keyClick(popup.search, Qt.Key.Key_Down)
    QTest.keyClick(popup.search, Qt.Key.Key_Enter)
    assert [n.kind for n in document.nodes][-1] == shown[1]


def test_quick_add_input_declares_the_input_it_reads(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    canvas.open_quick_add()
    popup = canvas.quick_add
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClicks(popup.search, "input")
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    assert document.node("input").kind == "input"
    assert [(d.name, d.type) for d in document.workflow.inputs] == [("input", "any")]
    assert undo_stack.count() == 1  # node and declaration are one step
    undo_stack.undo()
    assert not document.has_node("input") and document.workflow.inputs == []
    undo_stack.redo()
    assert document.has_node("input") and document.has_input("input")
