"""A node's output preview on the canvas: a child of the NodeItem under its metrics line,
one line when collapsed, the first lines of the value when expanded (click to toggle)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.canvas.node_item import NodeItem
from desktop.canvas.style import NODE_WIDTH, colors, small_font
from engine import jsontext
from engine.reports import values

TOP = 24.0
"""Below the node's body: under the run badge's metrics line."""
LINE_H = 15.0
EXPANDED_LINES = 10
PREVIEW_CHARS = 2000


def preview_text(outputs: dict[str, Any] | None, compact: bool = False) -> str:
    """What the preview shows of a node's outputs: a lone port's value as it is, several
    as `port: value` lines; values as text (strings) or JSON, shortened. `compact`: one
    line, JSON without indents (the collapsed preview)."""
    if not outputs:
        return ""

    def text(value: Any, limit: int) -> str:
        if compact and not isinstance(value, str):
            return values.shown(jsontext.dumps(value, ensure_ascii=False, default=repr), limit)
        return values.shown(value, limit)

    if len(outputs) == 1:
        return text(next(iter(outputs.values())), PREVIEW_CHARS)
    limit = PREVIEW_CHARS // len(outputs)
    joiner = "  ·  " if compact else "\n"
    return joiner.join(f"{port}: {text(value, limit)}" for port, value in outputs.items())


class NodeOutputPreview(QGraphicsItem):
    """Collapsed: `▸ first line`. Expanded: `▾` and up to EXPANDED_LINES wrapped lines.
    `on_toggle(node_id, expanded)` hears each click, so the choice outlives this item."""

    def __init__(self, node: NodeItem, on_toggle: Callable[[str, bool], None]) -> None:
        super().__init__()
        self.node_id = node.node_id
        self.on_toggle = on_toggle
        self.text = ""
        self.line = ""
        self.expanded = False
        self._lines: list[str] = []
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setVisible(False)
        self.setParentItem(node)  # Qt asks for the geometry from here on

    def set_text(self, text: str, expanded: bool, line: str = "") -> None:
        """`text` in full (shown expanded) and as one `line` (collapsed; default: its
        first line)."""
        if (text, expanded, line) == (self.text, self.expanded, self.line):
            return
        self.prepareGeometryChange()
        self.text, self.expanded, self.line = text, expanded, line
        self._lines = self._layout()
        self.setZValue(1 if expanded else 0)
        self.setToolTip("Click to hide the output" if expanded else "Click to show more output")
        self.setVisible(bool(text))
        self.update()

    @property
    def lines(self) -> list[str]:
        """The lines drawn now (for tests and the overview)."""
        return list(self._lines)

    def _top(self) -> float:
        parent = self.parentItem()
        height = parent.shape().boundingRect().height() if parent is not None else 60.0
        return height + TOP

    def _layout(self) -> list[str]:
        metrics = QFontMetricsF(small_font())
        width = NODE_WIDTH - 22
        elide = Qt.TextElideMode.ElideRight
        if not self.expanded:
            given = (self.line or self.text).splitlines()
            first = next((line for line in given if line.strip()), "")
            more = len(given) > 1
            return [metrics.elidedText(first + (" …" if more else ""), elide, width)]
        lines: list[str] = []
        for raw in self.text.splitlines() or [""]:
            while len(lines) < EXPANDED_LINES:  # wrap by characters that fit
                fit = len(raw)
                while fit > 1 and metrics.horizontalAdvance(raw[:fit]) > width:
                    fit -= max(1, fit // 8)
                space = raw.rfind(" ", 0, fit)
                if fit < len(raw) and space > 0:  # break between words
                    fit = space + 1
                lines.append(raw[:fit])
                raw = raw[fit:]
                if not raw:
                    break
            if len(lines) >= EXPANDED_LINES:
                lines[-1] = metrics.elidedText(lines[-1] + " …", elide, width)
                break
        return lines

    def boundingRect(self) -> QRectF:
        rows = max(1, len(self._lines))
        return QRectF(0, self._top(), NODE_WIDTH, rows * LINE_H + 6)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.on_toggle(self.node_id, not self.expanded)
        event.accept()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if not self.text:
            return
        palette = colors()
        rect = self.boundingRect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(palette.node_border, 1.0))
        painter.setBrush(palette.node_body)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setFont(small_font())
        painter.setPen(palette.subtext)
        painter.drawText(
            QRectF(rect.left() + 4, rect.top() + 3, 14, LINE_H),
            Qt.AlignmentFlag.AlignVCenter,
            "▾" if self.expanded else "▸",
        )
        painter.setPen(palette.text)
        for row, line in enumerate(self._lines):
            painter.drawText(
                QRectF(rect.left() + 18, rect.top() + 3 + row * LINE_H, NODE_WIDTH - 22, LINE_H),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                line,
            )
