"""The trace timeline: one row per node, a bar per span (attempts in the state colour,
retry waits hatched, approval waits dashed), drawn with QPainter over a time axis."""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.canvas.style import colors, small_font
from desktop.run.badges import RUN_COLORS, state_color
from engine.trace.fold import RunState

ROW = 22.0
LABEL_W = 140.0
AXIS_H = 38.0


def _nice_step(span: float, target: int = 8) -> float:
    raw = max(span / target, 1e-3)
    for base in (1, 2, 5, 10):
        for exp in range(-3, 6):
            step = base * 10.0**exp
            if step >= raw:
                return step
    return raw


class GanttWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gantt")
        self.state = RunState()
        self.order: list[str] = []
        self.now: float | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_state(
        self, state: RunState, order: list[str] | None = None, now: float | None = None
    ) -> None:
        self.state, self.now = state, now
        known = order or []
        started = sorted(
            (n for n in state.nodes.values() if n.spans),
            key=lambda n: (n.spans[0].start, n.node_id),
        )
        self.order = [n.node_id for n in started] + [
            nid for nid in known if nid not in {n.node_id for n in started}
        ]
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, int(AXIS_H + ROW * max(len(self.order), 3) + 8))

    def minimumSizeHint(self) -> QSize:
        return QSize(300, int(AXIS_H + ROW * 3))

    def time_range(self) -> tuple[float, float]:
        start = self.state.started
        spans = [s for n in self.state.nodes.values() for s in n.spans]
        if start is None:
            start = min((s.start for s in spans), default=0.0)
        now = self.now if self.now is not None else time.time()
        end = self.state.finished or max(
            [now if s.end is None else s.end for s in spans] or [start + 1.0]
        )
        return start, max(end, start + 0.001)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = colors()
        painter.fillRect(self.rect(), palette.node_body)
        painter.setFont(small_font())
        metrics = QFontMetricsF(small_font())
        if not self.order:
            painter.setPen(palette.subtext)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No run to show yet")
            return
        t0, t1 = self.time_range()
        width = max(10.0, self.width() - LABEL_W - 16)

        def x_of(t: float) -> float:
            return LABEL_W + (t - t0) / (t1 - t0) * width

        step = _nice_step(t1 - t0)
        painter.setPen(QPen(palette.grid_major, 1))
        tick = 0.0
        while tick <= (t1 - t0) + 1e-9:
            x = x_of(t0 + tick)
            painter.setPen(QPen(palette.grid_major, 1))
            painter.drawLine(QPointF(x, AXIS_H - 4), QPointF(x, self.height()))
            painter.setPen(palette.subtext)
            label = f"{tick:.0f}s" if step >= 1 else f"{tick * 1000:.0f}ms"
            painter.drawText(QPointF(x + 2, AXIS_H - 8), label)
            tick += step
        now = self.now if self.now is not None else time.time()
        for row, node_id in enumerate(self.order):
            y = AXIS_H + row * ROW
            if row % 2:
                painter.fillRect(QRectF(0, y, self.width(), ROW), palette.grid_minor)
            node = self.state.nodes.get(node_id)
            painter.setPen(palette.text)
            name = metrics.elidedText(node_id, Qt.TextElideMode.ElideRight, LABEL_W - 12)
            painter.drawText(QRectF(6, y, LABEL_W - 10, ROW), Qt.AlignmentFlag.AlignVCenter, name)
            if node is None:
                continue
            for span in node.spans:
                end = span.end if span.end is not None else (self.state.finished or now)
                left, right = x_of(span.start), x_of(end)
                rect = QRectF(left, y + 4, max(2.0, right - left), ROW - 8)
                self._bar(painter, rect, span.kind, span.status or node.state or "running")
        painter.setPen(palette.subtext)
        legend = "■ attempt   ▨ retry wait   ┅ approval wait"
        painter.drawText(QRectF(6, 2, self.width() - 12, 14), Qt.AlignmentFlag.AlignLeft, legend)

    @staticmethod
    def _bar(painter: QPainter, rect: QRectF, kind: str, status: str) -> None:
        if kind == "retry_wait":
            color = QColor(RUN_COLORS["retrying"])
            painter.setPen(QPen(color, 1))
            painter.setBrush(QBrush(color, Qt.BrushStyle.BDiagPattern))
        elif kind == "approval_wait":
            color = QColor(RUN_COLORS["waiting"])
            pen = QPen(color, 1.5, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            fill = QColor(color)
            fill.setAlpha(50)
            painter.setBrush(fill)
        else:
            mapped = {"approve": "succeeded", "edit": "succeeded", "reject": "failed"}
            color = state_color(mapped.get(status, status))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
        painter.drawRoundedRect(rect, 3, 3)
