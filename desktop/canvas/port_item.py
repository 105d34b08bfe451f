"""A typed port circle on a node: hover shows its type; dragging from it starts a connection."""

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

from desktop.canvas.style import PORT_RADIUS, TYPE_COLORS, colors
from engine.nodes.base import PortSpec
from engine.workflow.model import PortRef

if TYPE_CHECKING:
    from desktop.canvas.scene import WorkflowScene

Direction = Literal["in", "out"]


class PortItem(QGraphicsItem):
    """Child of a NodeItem. It never edits anything: it reports drags to the scene."""

    def __init__(self, node_id: str, spec: PortSpec, direction: Direction, parent: QGraphicsItem):
        super().__init__(parent)
        self.node_id = node_id
        self.spec = spec
        self.direction: Direction = direction
        self.connected = False
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

    @property
    def ref(self) -> PortRef:
        return PortRef(node=self.node_id, port=self.spec.name)

    @property
    def name(self) -> str:
        return self.spec.name

    def boundingRect(self) -> QRectF:
        r = PORT_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = colors()
        color = QColor(TYPE_COLORS.get(self.spec.type, TYPE_COLORS["any"]))
        r = PORT_RADIUS + (1.5 if self._hover else 0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color.darker(130) if not palette.dark else color.lighter(120), 1.5))
        painter.setBrush(QBrush(color if self.connected or self._hover else palette.node_body))
        painter.drawEllipse(QPointF(0, 0), r, r)

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
