"""A wire dragged from a port and let go on the empty canvas: quick-add opens there with
only the kinds that could take it; the chosen node is added wired to it, one undo step."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.canvas.view import WorkflowView
from engine.workflow.document import WorkflowDocument
from tests.desktop.canvas_helpers import at, double_click, drag, port_point


def _choose(qtbot: QtBot, view: WorkflowView, typed: str) -> None:
    qtbot.waitUntil(view.quick_add.isVisible)
    qtbot.keyClicks(view.quick_add.search, typed)
    QTest.keyClick(view.quick_add.search, Qt.Key.Key_Return)


def _edges(document: WorkflowDocument) -> list[str]:
    return [f"{e.source}->{e.target}" for e in document.edges]


def test_wire_from_an_output_dropped_on_empty_canvas_adds_a_connected_node(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    canvas.resetTransform()
    canvas.centerOn(QPointF(300, 150))
    before = _edges(document)
    drop = QPointF(420, 260)
    drag(canvas, port_point(canvas, "b", "text", "out"), at(canvas, drop))
    qtbot.waitUntil(canvas.quick_add.isVisible)
    kinds = canvas.quick_add.visible_kinds()
    assert "output" in kinds and "template" in kinds
    assert "input" not in kinds  # no input port at all
    assert "number_sink" not in kinds  # takes numbers; b gives a string
    _choose(qtbot, canvas, "output")
    assert not canvas.quick_add.isVisible()
    added = document.nodes[-1]
    assert added.kind == "output" and added.id == "output"
    assert _edges(document) == [*before, "b.text->output.value"]
    assert undo_stack.count() == 1
    new_in = canvas.workflow_scene.node_items["output"].port_scene_pos("value", "in")
    assert new_in is not None and (new_in - drop).manhattanLength() < 2  # its input at the drop
    undo_stack.undo()
    assert [n.id for n in document.nodes] == ["a", "b", "out"]
    assert _edges(document) == before
    undo_stack.redo()
    assert _edges(document) == [*before, "b.text->output.value"]


def test_wire_from_an_input_offers_kinds_with_a_matching_output(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    scene.add_node_of_kind("number_sink", QPointF(300, 250))
    undo_stack.clear()
    canvas.resetTransform()
    canvas.centerOn(QPointF(200, 200))
    drag(canvas, port_point(canvas, "number_sink", "number", "in"), at(canvas, QPointF(0, 300)))
    qtbot.waitUntil(canvas.quick_add.isVisible)
    kinds = canvas.quick_add.visible_kinds()
    assert "input" in kinds
    assert "template" not in kinds  # gives a string, the sink takes a number
    assert "number_sink" not in kinds  # no output
    _choose(qtbot, canvas, "input")
    wired = [e for e in document.edges if e.target.node == "number_sink"]
    assert [(e.source.node, e.target.port) for e in wired] == [("input", "number")]
    out_at = scene.node_items["input"].port_scene_pos(wired[0].source.port, "out")
    assert out_at is not None and (out_at - QPointF(0, 300)).manhattanLength() < 2
    assert document.has_input("input")  # declared with the node, in the same step
    assert undo_stack.count() == 1
    undo_stack.undo()
    assert [n.id for n in document.nodes] == ["a", "b", "out", "number_sink"]
    assert not document.has_input("input")
    assert not any(e.target.node == "number_sink" for e in document.edges)


def test_a_wire_let_go_on_a_node_or_escaped_adds_nothing(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    canvas.resetTransform()
    canvas.centerOn(QPointF(300, 150))
    body = canvas.workflow_scene.node_items["a"].sceneBoundingRect().center()
    drag(canvas, port_point(canvas, "b", "text", "out"), at(canvas, body))
    assert not canvas.quick_add.isVisible()
    drag(canvas, port_point(canvas, "b", "text", "out"), at(canvas, QPointF(420, 260)))
    qtbot.waitUntil(canvas.quick_add.isVisible)
    QTest.keyClick(canvas.quick_add.search, Qt.Key.Key_Escape)
    assert not canvas.quick_add.isVisible()
    assert undo_stack.count() == 0 and len(document.nodes) == 3
    # A double-click afterwards is a plain quick-add again: every kind, nothing wired.
    double_click(canvas, at(canvas, QPointF(420, 400)))
    qtbot.waitUntil(canvas.quick_add.isVisible)
    assert "input" in canvas.quick_add.visible_kinds()
    _choose(qtbot, canvas, "output")
    assert len(document.nodes) == 4 and len(document.edges) == 2
