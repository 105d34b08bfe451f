"""Run decorations added to canvas items as children (the canvas items stay untouched):
a state pill and metrics line on each node, and a glow behind edges that carried data."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.canvas.node_item import NodeItem
from desktop.canvas.style import CORNER, NODE_WIDTH, STATE_COLORS, colors, small_font

RUN_COLORS: dict[str, str] = {
    **STATE_COLORS,
    "streaming": "#6d5dfc",
    "retrying": "#e8930c",
    "waiting": "#c98a1b",
}
LABELS = {"waiting": "waiting for approval"}
PILL_H = 18.0


def state_color(state: str | None) -> QColor:
    return QColor(RUN_COLORS.get(state or "", "#8a94a3"))


def draw_state_icon(painter: QPainter, state: str | None, centre: QPointF, r: float) -> None:
    """A small glyph per state: tick, cross, play, clock, pause, arrows, dots."""
    color = state_color(state)
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(centre, r, r)
    pen = QPen(QColor("white"), max(1.2, r / 4))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    x, y, k = centre.x(), centre.y(), r * 0.5
    if state in ("succeeded", "cached"):
        path = QPainterPath(QPointF(x - k, y))
        path.lineTo(x - k * 0.2, y + k * 0.8)
        path.lineTo(x + k, y - k * 0.7)
        painter.drawPath(path)
    elif state == "failed":
        painter.drawLine(QPointF(x - k, y - k), QPointF(x + k, y + k))
        painter.drawLine(QPointF(x - k, y + k), QPointF(x + k, y - k))
    elif state in ("running", "streaming"):
        painter.setBrush(QColor("white"))
        painter.drawPolygon(
            [QPointF(x - k * 0.6, y - k), QPointF(x + k, y), QPointF(x - k * 0.6, y + k)]
        )
    elif state == "waiting":
        painter.drawLine(QPointF(x - k * 0.45, y - k), QPointF(x - k * 0.45, y + k))
        painter.drawLine(QPointF(x + k * 0.45, y - k), QPointF(x + k * 0.45, y + k))
    elif state == "retrying":
        painter.drawArc(QRectF(x - k, y - k, 2 * k, 2 * k), 30 * 16, 280 * 16)
    elif state == "queued":
        painter.drawLine(QPointF(x, y - k), QPointF(x, y))
        painter.drawLine(QPointF(x, y), QPointF(x + k * 0.7, y + k * 0.5))
    else:  # skipped
        painter.drawLine(QPointF(x - k, y), QPointF(x + k, y))
    painter.restore()


class NodeRunBadge(QGraphicsItem):
    """Child of a NodeItem: state pill above it, metrics below, outline for extra states."""

    def __init__(self, node: NodeItem) -> None:
        super().__init__(node)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.state: str | None = None
        self.detail = ""
        self.metrics = ""

    def set_info(self, state: str | None, detail: str, metrics: str) -> None:
        if (state, detail, metrics) == (self.state, self.detail, self.metrics):
            return
        self.state, self.detail, self.metrics = state, detail, metrics
        self.setVisible(state is not None)
        self.update()

    @property
    def _height(self) -> float:
        parent = self.parentItem()
        return parent.shape().boundingRect().height() if parent is not None else 60.0

    def boundingRect(self) -> QRectF:
        return QRectF(-6, -PILL_H - 8, NODE_WIDTH + 12, self._height + PILL_H + 34)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self.state is None:
            return
        palette = colors()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = state_color(self.state)
        if self.state not in STATE_COLORS:
            pen = QPen(color, 2.5)
            if self.state == "waiting":
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(0, 0, NODE_WIDTH, self._height), CORNER, CORNER)
        font = small_font()
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        label = LABELS.get(self.state, self.state)
        text = f"{label} {self.detail}".strip()
        width = min(NODE_WIDTH, metrics.horizontalAdvance(text) + PILL_H + 12)
        pill = QRectF(0, -PILL_H - 4, width, PILL_H)
        fill = QColor(color)
        fill.setAlpha(40 if not palette.dark else 70)
        painter.setPen(QPen(color, 1.0))
        painter.setBrush(fill)
        painter.drawRoundedRect(pill, PILL_H / 2, PILL_H / 2)
        draw_state_icon(
            painter, self.state, QPointF(pill.left() + PILL_H / 2, pill.center().y()), 6
        )
        painter.setPen(palette.text)
        painter.drawText(
            pill.adjusted(PILL_H + 2, 0, -6, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, width - PILL_H - 8),
        )
        if self.metrics:
            painter.setPen(palette.subtext)
            line = metrics.elidedText(self.metrics, Qt.TextElideMode.ElideRight, NODE_WIDTH)
            painter.drawText(
                QRectF(0, self._height + 4, NODE_WIDTH, 18),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                line,
            )


class EdgeCarryGlow(QGraphicsPathItem):
    """Child of an EdgeItem drawn behind it: a wide translucent stroke in the run colour."""

    def __init__(self, edge: QGraphicsPathItem) -> None:
        super().__init__(edge)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        color = QColor(RUN_COLORS["succeeded"])
        color.setAlpha(110)
        pen = QPen(color, 7.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self.follow(edge)

    def follow(self, edge: QGraphicsPathItem) -> None:
        if self.path() != edge.path():
            self.setPath(edge.path())


def format_metrics(
    model: str | None, remote: bool | None, tokens: int, cost: float, seconds: float | None
) -> str:
    parts = []
    if model:
        parts.append(f"{'remote' if remote else 'local'} · {model}")
    if tokens:
        parts.append(f"{tokens} tok")
    if cost:
        parts.append(f"${cost:.4f}")
    if seconds is not None and not math.isnan(seconds) and (seconds >= 0.001 or parts):
        parts.append(f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s")
    return "  ·  ".join(parts)
