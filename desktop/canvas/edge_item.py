"""An edge drawn as a cubic curve from an output port to an input port."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.canvas.node_item import NodeItem
from desktop.canvas.style import colors
from engine.workflow.model import Edge


def curve(start: QPointF, end: QPointF) -> QPainterPath:
    """The S-curve between two points, bulging horizontally like a cable."""
    path = QPainterPath(start)
    dx = max(40.0, abs(end.x() - start.x()) * 0.5)
    path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end)
    return path


class EdgeItem(QGraphicsPathItem):
    """Knows its edge and the two node items; recomputes its path when they move."""

    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.dangling = False
        self._hover = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1)
        self.setToolTip(f"{edge.source} → {edge.target}")
        self.update_path()

    def update_path(self) -> None:
        start = self.source.port_scene_pos(self.edge.source.port, "out")
        end = self.target.port_scene_pos(self.edge.target.port, "in")
        self.dangling = start is None or end is None
        if start is None:
            start = self.source.mapToScene(self.source.boundingRect().topRight() + QPointF(0, 22))
        if end is None:
            end = self.target.mapToScene(QPointF(0, 22))
        self.prepareGeometryChange()
        self.setPath(curve(start, end))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = colors()
        color = QColor(palette.edge)
        width = 2.0
        if self.dangling:
            color = palette.error
        if self.isSelected():
            color, width = palette.selection, 3.0
        elif self._hover:
            width = 3.0
        pen = QPen(color, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if self.dangling:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()
