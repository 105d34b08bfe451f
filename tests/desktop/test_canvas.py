"""Canvas: items mirror the document; drags, connections and deletes are undo steps."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.canvas.edge_item import EdgeItem
from desktop.canvas.scene import WorkflowScene
from desktop.canvas.view import MIN_ZOOM, WorkflowView
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import dumps_workflow
from engine.workflow.model import Node, PortRef, Position


def _scene(view: WorkflowView) -> WorkflowScene:
    return view.workflow_scene


def _edge_keys(scene: WorkflowScene) -> set[tuple[str, str, str, str]]:
    return set(scene.edge_items)


def _positions(document: WorkflowDocument) -> dict[str, tuple[float, float]]:
    return {n.id: (n.position.x, n.position.y) for n in document.nodes}


def test_scene_mirrors_document(canvas: WorkflowView, document: WorkflowDocument) -> None:
    scene = _scene(canvas)
    assert set(scene.node_items) == {"a", "b", "out"}
    assert _edge_keys(scene) == {("a", "text", "b", "in"), ("b", "text", "out", "value")}
    a = scene.node_items["a"]
    assert (a.pos().x(), a.pos().y()) == (0, 0)
    assert a.title == "Greeting" and a.kind == "template"
    assert list(a.inputs) == [] and list(a.outputs) == ["text"]
    assert "string" in a.outputs["text"].toolTip()
    assert a.outputs["text"].connected and scene.node_items["b"].inputs["in"].connected


def test_document_changes_update_items(canvas: WorkflowView, document: WorkflowDocument) -> None:
    scene = _scene(canvas)
    document.add_node(Node(id="n", kind="output", position=Position(x=50, y=300)))
    assert scene.node_items["n"].pos() == QPointF(50, 300)
    document.set_node_config("b", {"template": "{{ x }}{{ y }}", "inputs": ["x", "y"]})
    assert list(scene.node_items["b"].inputs) == ["x", "y"]
    dangling = scene.edge_items[("a", "text", "b", "in")]
    assert dangling.dangling  # the edge's port is gone: drawn dashed until fixed
    document.rename_node("b", "Shout")
    assert scene.node_items["b"].title == "Shout"


def test_dragging_two_selected_nodes_is_one_undo_step(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = _scene(canvas)
    before = _positions(document)
    scene.select_nodes(["a", "b"])
    canvas.centerOn(scene.node_items["a"])
    # Press on a's header (not on a port), drag by (40, 60) scene units, release.
    start = canvas.mapFromScene(scene.node_items["a"].mapToScene(QPointF(100, 20)))
    end = start + QPoint(40, 60)
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(viewport, start + (end - start) * step / 5)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)

    moved = _positions(document)
    assert moved["a"] == (before["a"][0] + 40, before["a"][1] + 60)
    assert moved["b"] == (before["b"][0] + 40, before["b"][1] + 60)
    assert moved["out"] == before["out"]
    assert undo_stack.count() == 1 and undo_stack.text(0) == "Move 2 nodes"

    undo_stack.undo()
    assert _positions(document) == before
    assert scene.node_items["a"].pos() == QPointF(*before["a"])
    assert scene.node_items["b"].pos() == QPointF(*before["b"])
    edge = scene.edge_items[("a", "text", "b", "in")]
    assert edge.path().pointAtPercent(0) == scene.node_items["a"].port_scene_pos("text", "out")


def test_connecting_ports_by_drag_adds_edge_and_undo_removes_it(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = _scene(canvas)
    document.remove_edge(document.edges[1])  # b.text -> out.value
    source = scene.node_items["b"].outputs["text"]
    target = scene.node_items["out"].inputs["value"]

    scene.begin_connection(source)  # what a press on the port does
    scene.update_connection(QPointF(450, 80))
    assert scene.finish_connection(target.scenePos()) is None

    assert [str(e.target) for e in document.edges] == ["b.in", "out.value"]
    item = scene.edge_items[("b", "text", "out", "value")]
    assert isinstance(item, EdgeItem) and not item.dangling and target.connected
    assert not [i for i in scene.items() if i.zValue() == 10]  # drag preview is gone

    undo_stack.undo()
    assert [str(e.target) for e in document.edges] == ["b.in"]
    assert ("b", "text", "out", "value") not in scene.edge_items and not target.connected


def test_connecting_by_real_mouse_drag(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = _scene(canvas)
    document.remove_edge(document.edges[1])
    canvas.centerOn(QPointF(450, 60))
    start = canvas.mapFromScene(scene.node_items["b"].port_scene_pos("text", "out"))
    end = canvas.mapFromScene(scene.node_items["out"].port_scene_pos("value", "in"))
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(viewport, start + (end - start) * step / 5)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert ("b", "text", "out", "value") in scene.edge_items
    assert undo_stack.count() == 1
    assert _positions(document)["b"] == (300, 0)  # the node did not move


def test_refused_connections_leave_document_alone_and_say_why(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = _scene(canvas)
    document.add_node(Node(id="sink", kind="number_sink", position=Position(x=300, y=200)))
    document.set_node_config("a", {"template": "hello", "inputs": [], "output_type": "boolean"})
    before = dumps_workflow(document.workflow)
    hints: list[str] = []
    scene.hint.connect(hints.append)

    scene.begin_connection(scene.node_items["a"].outputs["text"])
    reason = scene.finish_connection(scene.node_items["sink"].inputs["number"].scenePos())
    assert reason is not None and "type mismatch" in reason
    assert hints[-1] == f"Cannot connect: {reason}"

    occupied = scene.connect_ports(
        PortRef(node="a", port="text"), PortRef(node="out", port="value")
    )
    assert occupied is not None and "already connected" in occupied
    missing = scene.connect_ports(PortRef(node="out", port="value"), PortRef(node="a", port="x"))
    assert missing == "a.x is not an input port"
    scene.begin_connection(scene.node_items["b"].outputs["text"])
    same_side = scene.finish_connection(scene.node_items["a"].outputs["text"].scenePos())
    assert same_side == "connect an output port to an input port"

    assert dumps_workflow(document.workflow) == before
    assert undo_stack.count() == 0
    assert len(scene.edge_items) == 2


def test_cycles_are_refused(canvas: WorkflowView, document: WorkflowDocument) -> None:
    scene = _scene(canvas)
    document.set_node_config("a", {"template": "{{ in }}"})
    reason = scene.connect_ports(PortRef(node="b", port="text"), PortRef(node="a", port="in"))
    assert reason is not None and "cycle" in reason


def test_delete_node_removes_its_edges_and_undo_restores_them(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = _scene(canvas)
    before = dumps_workflow(document.workflow)
    scene.select_nodes(["b"])
    assert scene.delete_selection()
    assert [n.id for n in document.nodes] == ["a", "out"] and document.edges == []
    assert set(scene.node_items) == {"a", "out"} and scene.edge_items == {}
    assert not scene.node_items["a"].outputs["text"].connected

    undo_stack.undo()
    assert dumps_workflow(document.workflow) == before
    assert set(scene.node_items) == {"a", "b", "out"} and len(scene.edge_items) == 2
    undo_stack.redo()
    assert [n.id for n in document.nodes] == ["a", "out"]


def test_deleting_a_selected_edge_and_the_delete_key(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = _scene(canvas)
    scene.clearSelection()
    scene.edge_items[("a", "text", "b", "in")].setSelected(True)
    scene.node_items["out"].setSelected(True)
    assert scene.delete_selection()
    assert [n.id for n in document.nodes] == ["a", "b"] and document.edges == []
    assert undo_stack.count() == 1
    undo_stack.undo()
    assert len(document.edges) == 2 and len(scene.edge_items) == 2


def test_add_node_of_kind_selects_it(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = _scene(canvas)
    node = scene.add_node_of_kind("join", QPointF(400, 300))
    assert node.id == "join" and document.node("join").kind == "join"
    assert scene.selected_node_ids() == ["join"]
    assert list(scene.node_items["join"].inputs) == ["a", "b"]
    undo_stack.undo()
    assert not document.has_node("join") and "join" not in scene.node_items


def test_zoom(canvas: WorkflowView) -> None:
    canvas.zoom_in()
    assert canvas.zoom > 1
    canvas.zoom_reset()
    assert canvas.zoom == 1
    for _ in range(30):
        canvas.zoom_out()
    assert canvas.zoom == MIN_ZOOM
    canvas.zoom_fit()
    assert MIN_ZOOM < canvas.zoom <= 1
    rect = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    for item in _scene(canvas).node_items.values():
        assert rect.contains(item.sceneBoundingRect())


def test_copy_paste_and_duplicate_are_single_undo_steps(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = _scene(canvas)
    scene.select_nodes(["a", "b"])
    assert scene.copy_selection()
    new_ids = scene.paste()
    assert new_ids == ["a_2", "b_2"]
    assert document.node("a_2").position.x == 40 and document.node("b_2").position.x == 340
    assert document.node("a_2").config == document.node("a").config
    # Only the edge between the copied nodes comes along, re-pointed to the copies.
    assert ("a_2", "text", "b_2", "in") in scene.edge_items
    assert len(document.edges) == 3
    assert sorted(scene.selected_node_ids()) == ["a_2", "b_2"]
    assert undo_stack.count() == 1 and undo_stack.text(0) == "Paste 2 nodes"

    scene.select_nodes(["out"])
    assert scene.duplicate_selection() == ["out_2"]
    undo_stack.undo()
    undo_stack.undo()
    assert [n.id for n in document.nodes] == ["a", "b", "out"] and len(scene.edge_items) == 2


def test_paste_without_nodes_on_the_clipboard_hints(canvas: WorkflowView) -> None:
    from PySide6.QtGui import QGuiApplication

    scene = _scene(canvas)
    QGuiApplication.clipboard().setText("not nodes")
    hints: list[str] = []
    scene.hint.connect(hints.append)
    assert scene.paste() == []
    assert hints == ["Nothing to paste: the clipboard holds no nodes"]
