"""Reroute points on an edge: the path through them, the small handles that drag them
(one undo step on release), and where a new point goes in the edge's list."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsSceneMouseEvent

from desktop.canvas.commands import SetEdgeViaCommand
from desktop.canvas.style import colors

if TYPE_CHECKING:
    from desktop.canvas.edge_item import EdgeItem

Point = tuple[float, float]
HANDLE_RADIUS = 5.0


def route(start: QPointF, via: list[QPointF], end: QPointF) -> QPainterPath:
    """Cable-like curves from `start` through each point of `via` to `end`."""
    points = [start, *via, end]
    path = QPainterPath(start)
    for a, b in pairwise(points):
        dx = max(20.0, abs(b.x() - a.x()) * 0.5)
        path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
    return path


def insert_at(start: QPointF, via: list[Point], end: QPointF, new: Point) -> list[Point]:
    """`via` with `new` put where it lengthens the polyline start → via → end the least."""
    best: list[Point] = []
    best_length = float("inf")
    for i in range(len(via) + 1):
        candidate = [*via[:i], new, *via[i:]]
        pts = [start, *(QPointF(x, y) for x, y in candidate), end]
        length = sum(QLineF(a, b).length() for a, b in pairwise(pts))
        if length < best_length:
            best, best_length = candidate, length
    return best


def _whole(point: QPointF) -> Point:
    """A point in whole scene units, so the file stays short and diffs stay clean."""
    return (float(round(point.x())), float(round(point.y())))


def push_via(edge_item: EdgeItem, new: list[Point], label: str) -> None:
    scene = edge_item.workflow_scene()
    if scene is None:
        return
    old = [(p.x, p.y) for p in edge_item.edge.ui.via]
    if old != new:
        scene.undo_stack.push(SetEdgeViaCommand(scene.document, edge_item.edge, old, new, label))


def add_point(edge_item: EdgeItem, at: QPointF) -> None:
    """Add a reroute point at `at` (scene coordinates) as one undo step."""
    path = edge_item.path()
    via = [(p.x, p.y) for p in edge_item.edge.ui.via]
    new = insert_at(path.pointAtPercent(0), via, path.currentPosition(), _whole(at))
    push_via(edge_item, new, "Add Reroute Point")


def remove_point(edge_item: EdgeItem, index: int) -> None:
    via = [(p.x, p.y) for p in edge_item.edge.ui.via]
    push_via(edge_item, via[:index] + via[index + 1 :], "Remove Reroute Point")


class RerouteHandle(QGraphicsEllipseItem):
    """One reroute point of its parent edge; dragging it bends the wire live and writes
    the new place on release."""

    def __init__(self, edge_item: EdgeItem, index: int, at: QPointF) -> None:
        r = HANDLE_RADIUS
        super().__init__(QRectF(-r, -r, 2 * r, 2 * r), edge_item)
        self.edge_item = edge_item
        self.index = index
        self.setPos(at)
        self.setZValue(1)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setToolTip("Reroute point: drag to move, right-click to remove")
        palette = colors()
        self.setBrush(palette.edge)
        self.setPen(QPen(palette.selection, 1.5))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresParentOpacity)
        self._dragging = False

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._dragging:
            self.setPos(event.scenePos())
            self.edge_item.update_path()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._dragging:
            self._dragging = False
            via = [(p.x, p.y) for p in self.edge_item.edge.ui.via]
            via[self.index] = _whole(self.pos())
            push_via(self.edge_item, via, "Move Reroute Point")
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()  # not a new point on top of this one
