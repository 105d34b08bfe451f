"""A node on the canvas: header with icon, title and kind; typed ports left and right;
an outline showing selection, config problems and the live run state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.canvas.overview import child_added, layer_of
from desktop.canvas.port_item import Direction, PortItem
from desktop.canvas.ports import NodePorts
from desktop.canvas.style import (
    CORNER,
    HEADER_HEIGHT,
    LOD_BLOCK_TITLE,
    LOD_TEXT,
    NODE_WIDTH,
    PORT_ROW,
    STATE_COLORS,
    block_title_font,
    colors,
    paint_block_title,
    small_font,
    title_font,
)
from desktop.resources import icon, kind_color
from engine.workflow.model import Node

if TYPE_CHECKING:
    from desktop.canvas.edge_item import EdgeItem

TITLE_RECT = QRectF(38, 5, NODE_WIDTH - 44, 22)
"""Where the title is drawn; double-clicking there renames the node in place."""
BADGE_CENTER = QPointF(NODE_WIDTH - 2, 2)
_MOVED = QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
_SELECTED = QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged
_CHILD_ADDED = QGraphicsItem.GraphicsItemChange.ItemChildAddedChange


class NodeItem(QGraphicsItem):
    """Shows one document node. Dragging moves the item only; the scene turns a finished
    drag into a MoveNodesCommand. Never writes to the document."""

    def __init__(self, node: Node, icon_name: str, ports: NodePorts) -> None:
        super().__init__()
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        # Painted once into a pixmap per zoom level and then blitted: panning past
        # hundreds of nodes costs no Python paint calls. update() re-renders one node.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.node_id = node.id
        self.title = ""
        self.kind = ""
        self.icon_name = icon_name
        self.config_ok = True
        self.run_state: str | None = None
        self.problems: list[str] = []
        self.edges: set[EdgeItem] = set()
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        self._height = HEADER_HEIGHT
        self.collapsed = False
        """Header only; every port sits at the middle of its side, where edges meet."""
        self._ports_shown = True
        self.set_node(node, icon_name, ports)
        self.setPos(node.position.x, node.position.y)

    # -- updates from the scene (which observes the document) --------------------------

    def set_node(self, node: Node, icon_name: str, ports: NodePorts) -> None:
        self.prepareGeometryChange()
        self.title = node.title or node.id
        self.kind = node.kind
        self.icon_name = icon_name
        self.config_ok = ports.config_ok
        self.collapsed = node.ui.collapsed
        for item in [*self.inputs.values(), *self.outputs.values()]:
            item.setParentItem(None)  # type: ignore[arg-type]
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.inputs = self._make_ports(node.id, ports.inputs, "in")
        self.outputs = self._make_ports(node.id, ports.outputs, "out")
        rows = max(len(ports.inputs), len(ports.outputs), 1)
        self._height = HEADER_HEIGHT if self.collapsed else HEADER_HEIGHT + rows * PORT_ROW + 8
        self.set_ports_visible(self._ports_shown)
        self._base_tip = f"{node.id} ({node.kind})"
        self._update_tooltip()
        for edge in self.edges:
            edge.update_path()
        self.update()
        self._touch()

    def _make_ports(self, node_id: str, specs: Any, direction: Direction) -> dict[str, PortItem]:
        items: dict[str, PortItem] = {}
        x = 0.0 if direction == "in" else NODE_WIDTH
        for row, spec in enumerate(specs):
            item = PortItem(node_id, spec, direction, self)
            if self.collapsed:
                item.setPos(x, HEADER_HEIGHT / 2)
            else:
                item.setPos(x, HEADER_HEIGHT + 4 + PORT_ROW * (row + 0.5))
            items[spec.name] = item
        return items

    def set_ports_visible(self, visible: bool) -> None:
        """Show the ports (the scene hides them far zoomed out); a collapsed node's stay
        hidden, its edges meeting at its sides."""
        self._ports_shown = visible
        for item in [*self.inputs.values(), *self.outputs.values()]:
            item.setVisible(visible and not self.collapsed)

    def set_problems(self, problems: list[str]) -> None:
        """Validation problems about this node: a red badge with their count."""
        if problems == self.problems:
            return
        self.problems = list(problems)
        self._update_tooltip()
        self.update()
        self._touch()

    def _update_tooltip(self) -> None:
        tip = self._base_tip
        if self.problems:
            items = "".join(f"<li>{_escape(p)}</li>" for p in self.problems)
            tip = f"{_escape(tip)}<br><b>{len(self.problems)} problem(s):</b><ul>{items}</ul>"
        self.setToolTip(tip)

    def set_run_state(self, state: str | None) -> None:
        self.run_state = state
        self.update()
        self._touch()

    def _touch(self) -> None:
        """Tell the scene's overview layer (which paints this node when far out)."""
        layer = layer_of(self)
        if layer is not None:
            layer.touch_node(self)

    def refresh_connections(self, connected: set[tuple[str, str]]) -> None:
        for direction, ports in (("in", self.inputs), ("out", self.outputs)):
            for name, item in ports.items():
                item.connected = (direction, name) in connected
                item.update()

    # -- geometry ----------------------------------------------------------------------

    def port(self, name: str, direction: Direction) -> PortItem | None:
        return (self.inputs if direction == "in" else self.outputs).get(name)

    def port_scene_pos(self, name: str, direction: Direction) -> QPointF | None:
        item = self.port(name, direction)
        return item.scenePos() if item is not None else None

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -10, NODE_WIDTH + 13, self._height + 13)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if TITLE_RECT.adjusted(-30, 0, 0, 14).contains(event.pos()) and scene is not None:
            scene.rename_requested.emit(self.node_id)  # type: ignore[attr-defined]
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_WIDTH, self._height), CORNER, CORNER)
        return path

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == _MOVED:
            for edge in self.edges:
                edge.update_path()
            self._touch()
        elif change == _SELECTED:
            self._touch()
        elif change == _CHILD_ADDED:
            child_added(self, value)
        return super().itemChange(change, value)

    # -- what the overview layer draws for this node ------------------------------------

    def body_rect(self) -> QRectF:
        """The node's body in scene coordinates."""
        return QRectF(self.x(), self.y(), NODE_WIDTH, self._height)

    def accent(self) -> QColor:
        return kind_color(self.icon_name)

    def outline_color(self) -> QColor | None:
        """Far out, one outline tells the most important thing: selected, run state, or
        a problem (None: no outline)."""
        palette = colors()
        if self.isSelected():
            return palette.selection
        if self.run_state in STATE_COLORS:
            return QColor(STATE_COLORS[self.run_state])
        if self.problems or not self.config_ok:
            return palette.error
        return None

    # -- painting ----------------------------------------------------------------------

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = colors()
        accent = self.accent()
        rect = QRectF(0, 0, NODE_WIDTH, self._height)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < LOD_TEXT:
            self._paint_block(painter, rect, accent, lod)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)

        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.node_body)
        painter.drawRoundedRect(rect, CORNER, CORNER)

        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT), CORNER, CORNER)
        header.addRect(QRectF(0, HEADER_HEIGHT - CORNER, NODE_WIDTH, CORNER))
        painter.setBrush(palette.node_header)
        painter.drawPath(header.simplified())
        painter.setBrush(accent)
        painter.drawRoundedRect(QRectF(0, 0, 4, HEADER_HEIGHT), 2, 2)

        icon(self.icon_name).paint(painter, QRectF(12, 8, 18, 18).toRect())
        painter.setPen(palette.text)
        font = title_font()
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        title = metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, NODE_WIDTH - 62)
        painter.drawText(TITLE_RECT, Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(small_font())
        painter.setPen(palette.subtext)
        subtitle = self.kind if self.title == self.node_id else f"{self.kind} · {self.node_id}"
        subtitle = QFontMetricsF(small_font()).elidedText(
            subtitle, Qt.TextElideMode.ElideRight, NODE_WIDTH - 48
        )
        painter.drawText(
            QRectF(38, 24, NODE_WIDTH - 44, 16), Qt.AlignmentFlag.AlignVCenter, subtitle
        )

        painter.setPen(palette.text)
        half = NODE_WIDTH / 2 - 14
        if self.collapsed:
            self._paint_collapsed_ends(painter)
        for item in self.inputs.values() if not self.collapsed else ():
            y = item.pos().y()
            painter.drawText(
                QRectF(12, y - PORT_ROW / 2, half, PORT_ROW),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                item.name,
            )
        for item in self.outputs.values() if not self.collapsed else ():
            y = item.pos().y()
            painter.drawText(
                QRectF(NODE_WIDTH - 12 - half, y - PORT_ROW / 2, half, PORT_ROW),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                item.name,
            )

        self._paint_outline(painter, rect)
        self._paint_badge(painter)

    def _paint_collapsed_ends(self, painter: QPainter) -> None:
        """A collapsed node's sides: one dot where its inputs or outputs meet."""
        painter.save()
        painter.setPen(QPen(colors().subtext, 1.2))
        painter.setBrush(colors().node_body)
        for x, ports in ((0.0, self.inputs), (NODE_WIDTH, self.outputs)):
            if ports:
                painter.drawEllipse(QPointF(x, HEADER_HEIGHT / 2), 4.5, 4.5)
        painter.restore()

    def _paint_block(self, painter: QPainter, rect: QRectF, accent: QColor, lod: float) -> None:
        """Far zoomed out: a flat block in the kind's colour, outline for state/selection."""
        palette = colors()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.node_body)
        painter.drawRect(rect)
        painter.setBrush(accent)
        painter.drawRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT))
        if lod >= LOD_BLOCK_TITLE:
            font = block_title_font(lod)
            painter.setFont(font)
            painter.setPen(QColor("white"))
            paint_block_title(painter, QFontMetricsF(font), rect.topLeft(), self.title)
        pen_width = 2.0 / max(lod, 0.05)
        color = self.outline_color()
        if color is not None:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(color, pen_width))
            painter.drawRect(rect)

    def _paint_badge(self, painter: QPainter) -> None:
        if not self.problems:
            return
        palette = colors()
        painter.setPen(QPen(palette.node_body, 1.5))
        painter.setBrush(palette.badge)
        painter.drawEllipse(BADGE_CENTER, 9, 9)
        painter.setPen(QColor("white"))
        font = small_font()
        painter.setFont(font)
        count = str(len(self.problems)) if len(self.problems) < 10 else "9+"
        box = QRectF(BADGE_CENTER.x() - 9, BADGE_CENTER.y() - 9, 18, 18)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, count)

    def _paint_outline(self, painter: QPainter, rect: QRectF) -> None:
        palette = colors()
        pen = QPen(palette.node_border, 1.0)
        if self.run_state in STATE_COLORS:
            pen = QPen(QColor(STATE_COLORS[self.run_state]), 2.5)
            if self.run_state == "skipped":
                pen.setStyle(Qt.PenStyle.DashLine)
        elif not self.config_ok:
            pen = QPen(palette.error, 1.5, Qt.PenStyle.DashLine)
        if self.isSelected():
            pen = QPen(palette.selection, 2.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(pen)
        painter.drawRoundedRect(rect, CORNER, CORNER)
        if self.run_state in STATE_COLORS and self.isSelected():
            painter.setPen(QPen(QColor(STATE_COLORS[self.run_state]), 2.0))
            painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), CORNER + 2, CORNER + 2)
        if self.run_state in STATE_COLORS:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(STATE_COLORS[self.run_state]))
            painter.drawEllipse(QPointF(NODE_WIDTH - 12, 12), 4.5, 4.5)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
