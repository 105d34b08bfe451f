"""A typed port circle on a node: hover shows its type; dragging from it starts a connection
(from a connected input: picks up the edge's end to move or detach it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.canvas.style import LOD_TEXT, PORT_RADIUS, TYPE_COLORS, colors
from engine.nodes.base import PortSpec
from engine.workflow.model import PortRef

if TYPE_CHECKING:
    from desktop.canvas.scene import WorkflowScene

Direction = Literal["in", "out"]
DropState = Literal["ok", "no"] | None
"""While a connection is dragged: `ok` a port it may end on, `no` one it may not."""


class PortItem(QGraphicsItem):
    """Child of a NodeItem. It never edits anything: it reports drags to the scene."""

    def __init__(self, node_id: str, spec: PortSpec, direction: Direction, parent: QGraphicsItem):
        super().__init__(parent)
        self.node_id = node_id
        self.spec = spec
        self.direction: Direction = direction
        self.connected = False
        self.drop_state: DropState = None
        self._hover = False
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.CrossCursor)
        role = "input" if direction == "in" else "output"
        tip = f"<b>{spec.name}</b>: {spec.type} {role}"
        if spec.description:
            tip += f"<br>{spec.description}"
        self.setToolTip(tip)
        self.setZValue(1)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # see NodeItem

    @property
    def ref(self) -> PortRef:
        return PortRef(node=self.node_id, port=self.spec.name)

    @property
    def name(self) -> str:
        return self.spec.name

    def boundingRect(self) -> QRectF:
        r = PORT_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def set_drop_state(self, state: DropState) -> None:
        if state != self.drop_state:
            self.drop_state = state
            self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT:
            return
        palette = colors()
        color = QColor(TYPE_COLORS.get(self.spec.type, TYPE_COLORS["any"]))
        r = PORT_RADIUS + (1.5 if self._hover else 0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.drop_state == "ok":
            painter.setPen(QPen(palette.selection, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), r + 4, r + 4)
            r += 1.5
        elif self.drop_state == "no":
            painter.setOpacity(0.35)
            color = palette.error
        painter.setPen(QPen(color.darker(130) if not palette.dark else color.lighter(120), 1.5))
        filled = self.connected or self._hover or self.drop_state == "ok"
        painter.setBrush(QBrush(color if filled else palette.node_body))
        painter.drawEllipse(QPointF(0, 0), r, r)
        if self.drop_state == "no":
            painter.setPen(QPen(palette.error, 1.5))
            d = r * 0.7
            painter.drawLine(QPointF(-d, -d), QPointF(d, d))

    # -- interaction: reported to the scene, which decides -----------------------------

    def _scene(self) -> WorkflowScene | None:
        from desktop.canvas.scene import WorkflowScene

        scene = self.scene()
        return scene if isinstance(scene, WorkflowScene) else None

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self._scene()
        if scene is None or event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        if self.direction == "in" and self.connected:
            scene.begin_reconnect(self)
        else:
            scene.begin_connection(self)
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self._scene()
        if scene is not None:
            scene.update_connection(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self._scene()
        if scene is not None:
            scene.finish_connection(event.scenePos())
