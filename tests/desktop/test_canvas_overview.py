"""Far zoomed out, the overview layer paints every node and edge in bulk: items stop
painting themselves but still take clicks, and the picture follows moves, run states,
selection, additions and deletions."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem
from pytestqt.qtbot import QtBot

from desktop.canvas.commands import AddNodeCommand, DeleteCommand, MoveNodesCommand
from desktop.canvas.node_item import NodeItem
from desktop.canvas.style import LOD_TEXT, STATE_COLORS
from desktop.canvas.view import WorkflowView
from desktop.resources import kind_color
from engine.workflow.document import WorkflowDocument
from engine.workflow.model import Node, Position

NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
ZOOM = 0.2
ORIGIN = QPointF(-100, -100)


def _render(view: WorkflowView) -> QImage:
    """The scene as the view draws it at ZOOM, scene point ORIGIN at pixel (0, 0)."""
    image = QImage(400, 200, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    source = QRectF(ORIGIN, QRectF(image.rect()).size() / ZOOM)
    view.workflow_scene.render(painter, QRectF(image.rect()), source)
    painter.end()
    return image


def _pixel(image: QImage, scene_point: QPointF) -> QColor:
    p = (scene_point - ORIGIN) * ZOOM
    return image.pixelColor(int(p.x()), int(p.y()))


def _header_centre(item: NodeItem) -> QPointF:
    return item.pos() + QPointF(100, 22)


def _outline_point(item: NodeItem) -> QPointF:
    return item.pos() + QPointF(100, item.body_rect().height())


def _close(a: QColor, b: QColor) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) < 8


def test_zooming_out_hands_painting_to_the_overview_and_back(canvas: WorkflowView) -> None:
    scene = canvas.workflow_scene
    canvas.set_zoom(ZOOM)
    assert scene.overview.active and not scene.detailed
    items: list[QGraphicsItem] = [*scene.node_items.values(), *scene.edge_items.values()]
    assert all(item.flags() & NO_CONTENTS for item in items)
    canvas.set_zoom(LOD_TEXT + 0.1)
    assert not scene.overview.active
    assert not any(item.flags() & NO_CONTENTS for item in items)
    assert all(port.isVisible() for port in scene.node_items["b"].inputs.values())


def test_overview_draws_nodes_where_they_are_and_follows_moves(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    canvas.set_zoom(ZOOM)
    a = scene.node_items["a"]
    accent = kind_color(a.icon_name)
    old = _header_centre(a)
    assert _close(_pixel(_render(canvas), old), accent)
    undo_stack.push(MoveNodesCommand(document, {"a": ((0, 0), (0, 400))}))
    image = _render(canvas)
    assert _close(_pixel(image, _header_centre(a)), accent)
    assert not _close(_pixel(image, old), accent)


def test_overview_shows_run_states_and_selection(canvas: WorkflowView) -> None:
    scene = canvas.workflow_scene
    canvas.set_zoom(ZOOM)
    b = scene.node_items["b"]
    assert _close(_pixel(_render(canvas), _outline_point(b)), QColor("white"))
    scene.set_run_state("b", "failed")
    assert _close(_pixel(_render(canvas), _outline_point(b)), QColor(STATE_COLORS["failed"]))
    b.setSelected(True)
    selection = b.outline_color()
    assert selection is not None and not _close(selection, QColor(STATE_COLORS["failed"]))
    assert _close(_pixel(_render(canvas), _outline_point(b)), selection)


def test_nodes_added_and_deleted_while_zoomed_out(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    canvas.set_zoom(ZOOM)
    node = Node(id="far", kind="output", position=Position(x=900, y=300))
    undo_stack.push(AddNodeCommand(document, node))
    item = scene.node_items["far"]
    assert item.flags() & NO_CONTENTS
    accent = kind_color(item.icon_name)
    assert _close(_pixel(_render(canvas), _header_centre(item)), accent)
    undo_stack.push(DeleteCommand(document, ["far"], [], []))
    assert not _close(_pixel(_render(canvas), _header_centre(item)), accent)


def test_zoomed_out_nodes_still_take_clicks(qtbot: QtBot, canvas: WorkflowView) -> None:
    scene = canvas.workflow_scene
    canvas.set_zoom(ZOOM)
    canvas.centerOn(scene.node_items["b"])
    target = canvas.mapFromScene(_header_centre(scene.node_items["b"]))
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=target)
    assert scene.selected_node_ids() == ["b"]


def test_children_added_while_zoomed_out_leave_painting_to_the_overview(
    canvas: WorkflowView,
) -> None:
    scene = canvas.workflow_scene
    canvas.set_zoom(ZOOM)
    badge = QGraphicsRectItem(0, 0, 10, 10, scene.node_items["a"])  # like a run badge
    assert badge.flags() & NO_CONTENTS
    canvas.set_zoom(1.0)
    assert not badge.flags() & NO_CONTENTS


def test_cached_node_pictures_follow_state_changes(qtbot: QtBot, canvas: WorkflowView) -> None:
    """Zoomed in, nodes are painted once into a cached pixmap: a state change must still
    show on the next paint of the real viewport."""
    scene = canvas.workflow_scene
    canvas.set_zoom(1.0)
    b = scene.node_items["b"]
    canvas.centerOn(b)
    corner = canvas.mapFromScene(b.pos() + QPointF(100, b.body_rect().height() - 0.5))

    def colour() -> QColor:
        canvas.viewport().repaint()
        return canvas.viewport().grab().toImage().pixelColor(corner)

    before = colour()
    scene.set_run_state("b", "failed")
    assert _close(colour(), QColor(STATE_COLORS["failed"]))
    scene.set_run_state("b", None)
    assert _close(colour(), before)
