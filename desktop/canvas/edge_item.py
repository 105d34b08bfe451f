"""An edge drawn as a cubic curve from an output port to an input port (through its
reroute points, if any); its input end can be grabbed and dragged to another port or off
into the canvas, and a double-click adds a reroute point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.canvas.node_item import NodeItem
from desktop.canvas.overview import child_added, layer_of
from desktop.canvas.reroute import RerouteHandle, add_point, route
from desktop.canvas.style import LOD_TEXT, colors
from engine.workflow.model import Edge

if TYPE_CHECKING:
    from desktop.canvas.scene import WorkflowScene

_SELECTED = QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged
_CHILD_ADDED = QGraphicsItem.GraphicsItemChange.ItemChildAddedChange
END_GRAB = 28.0
"""How close (scene units) to its input end a press picks up an edge's end."""


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
        self._dragging_end = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1)
        self.setToolTip(f"{edge.source} → {edge.target}")
        self.handles = [
            RerouteHandle(self, i, QPointF(p.x, p.y)) for i, p in enumerate(edge.ui.via)
        ]
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
        if self.handles:
            self.setPath(route(start, self.via_points(), end))
        else:
            self.setPath(curve(start, end))
        self._touch()

    def via_points(self) -> list[QPointF]:
        """Where the reroute points are now (live while one is dragged)."""
        return [h.pos() for h in self.handles]

    def _touch(self) -> None:
        """Tell the scene's overview layer (which paints this edge when far out)."""
        layer = layer_of(self)
        if layer is not None:
            layer.touch_edge(self)

    def line_color(self) -> QColor:
        """The colour of the edge as the overview draws it."""
        palette = colors()
        if self.isSelected():
            return palette.selection
        return palette.error if self.dangling else palette.edge

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == _SELECTED:
            self._touch()
        elif change == _CHILD_ADDED:
            child_added(self, value)
        return super().itemChange(change, value)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        width = 3.0 if self.isSelected() or self._hover else 2.0
        pen = QPen(self.line_color(), width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if self.dangling:
            pen.setStyle(Qt.PenStyle.DashLine)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if lod < LOD_TEXT:  # far out: a straight line is indistinguishable and cheap
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            path = self.path()
            points = [path.pointAtPercent(0), *self.via_points()]
            painter.drawPolyline([*points, path.currentPosition()])
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.drawPath(self.path())

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()

    # -- picking up the input end ---------------------------------------------------------

    def workflow_scene(self) -> WorkflowScene | None:
        scene = self.scene()
        return scene if hasattr(scene, "begin_reconnect") else None  # type: ignore[return-value]

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.workflow_scene()
        port = self.target.port(self.edge.target.port, "in")
        near_end = QLineF(event.scenePos(), self.path().pointAtPercent(1)).length() < END_GRAB
        if event.button() == Qt.MouseButton.LeftButton and near_end and scene and port:
            self._dragging_end = True
            scene.begin_reconnect(port)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            add_point(self, event.scenePos())
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.workflow_scene()
        if self._dragging_end and scene is not None:
            scene.update_connection(event.scenePos())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.workflow_scene()
        if self._dragging_end and scene is not None:
            self._dragging_end = False
            scene.finish_connection(event.scenePos())
            return
        super().mouseReleaseEvent(event)
