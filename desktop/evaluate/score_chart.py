"""The cost-vs-score chart of an evaluation's variants: one point per variant, cost per row
(or tokens per row when nothing cost money) across, mean score up, drawn with QPainter on
a scatter frame the calibration's frontier chart shares."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from desktop.canvas.style import colors, small_font, title_font
from engine.evaluation.summary import EvalSummary

POINT = QColor("#3b82f6")
BEST = QColor("#22a559")
LEFT, RIGHT, TOP, BOTTOM = 46.0, 18.0, 26.0, 38.0
Point = tuple[str, float, float]


def chart_points(summary: EvalSummary) -> tuple[str, list[Point]]:
    """(x-axis label, [(variant, x, score)]), as the HTML report plots them."""
    from engine.evaluation.report import cost_score_points

    label, points = cost_score_points(summary)
    ran = {name for name, v in summary.variants.items() if v.rows}  # no point without rows
    return label, [p for p in points if p[0] in ran and math.isfinite(p[1]) and math.isfinite(p[2])]


def nice_top(peak: float, ticks: int = 4) -> float:
    """The x axis's end: a round number a little above `peak`, in `ticks` round steps."""
    if peak <= 0 or not math.isfinite(peak):
        return 1.0
    raw = peak * 1.1 / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= raw)
    return step * ticks


def tick_label(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 10:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


class ScatterChart(QWidget):
    """Labelled points on a score axis (0..1 up) against a cost-like axis across, in the
    canvas palette; subclasses choose the axis and draw the points."""

    TITLE = ""
    EMPTY = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = ""
        self.points: list[Point] = []
        self.setMinimumSize(220, 110)

    def sizeHint(self) -> QSize:
        return QSize(360, 240)

    def plot_rect(self) -> QRectF:
        width = max(10.0, self.width() - LEFT - RIGHT)
        return QRectF(LEFT, TOP, width, max(10.0, self.height() - TOP - BOTTOM))

    def position(self, x: float, y: float) -> QPointF:
        """Where a point of cost `x` and score `y` is drawn."""
        area = self.plot_rect()
        top_x = self.top_x()
        return QPointF(
            area.left() + area.width() * (x / top_x),
            area.bottom() - area.height() * max(0.0, min(1.0, y)),
        )

    def top_x(self) -> float:
        return nice_top(max((p[1] for p in self.points), default=0.0))

    def x_tick(self, value: float) -> str:
        return tick_label(value)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = colors()
        painter.fillRect(self.rect(), palette.node_body)
        painter.setFont(title_font())
        painter.setPen(palette.text)
        painter.drawText(
            QRectF(8, 2, self.width() - 16, TOP - 4), Qt.AlignmentFlag.AlignVCenter, self.TITLE
        )
        painter.setFont(small_font())
        if not self.points:
            painter.setPen(palette.subtext)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.EMPTY)
            return
        self._paint_axes(painter)
        self.paint_points(painter, QFontMetricsF(small_font()))

    def _paint_axes(self, painter: QPainter) -> None:
        palette = colors()
        area = self.plot_rect()
        ticks = (0.0, 0.25, 0.5, 0.75, 1.0) if area.height() >= 90 else (0.0, 0.5, 1.0)
        for tick in ticks:
            y = self.position(0, tick).y()
            painter.setPen(QPen(palette.grid_major, 1))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(palette.subtext)
            painter.drawText(
                QRectF(0, y - 8, LEFT - 6, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{tick:.2f}",
            )
        top_x = self.top_x()
        for i in range(5):
            value = top_x * i / 4
            x = self.position(value, 0).x()
            box = QRectF(x - 30, area.bottom() + 2, 60, 14)
            align = Qt.AlignmentFlag.AlignHCenter
            if i == 4:  # the last label ends at the axis's end, inside the widget
                box, align = (
                    QRectF(x - 60, area.bottom() + 2, 60 + RIGHT, 14),
                    Qt.AlignmentFlag.AlignRight,
                )
            painter.drawText(box, align, self.x_tick(value))
        painter.drawText(
            QRectF(area.left(), self.height() - 18, area.width(), 16),
            Qt.AlignmentFlag.AlignHCenter,
            self.label,
        )
        painter.setPen(QPen(palette.edge, 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.bottomLeft(), area.topLeft())

    def paint_points(self, painter: QPainter, metrics: QFontMetricsF) -> None:
        raise NotImplementedError

    def paint_label(
        self, painter: QPainter, metrics: QFontMetricsF, centre: QPointF, text: str
    ) -> None:
        """`text` above and right of a point, or left of it where the right runs out, or
        below it where the title is above."""
        painter.setPen(colors().text)
        width = metrics.horizontalAdvance(text) + 4
        left = centre.x() + 8
        if left + width > self.width() - 2:
            left = centre.x() - 8 - width
        top = centre.y() - 18 if centre.y() - 18 >= TOP else centre.y() + 2
        painter.drawText(QRectF(left, top, width, 16), Qt.AlignmentFlag.AlignVCenter, text)


class CostScoreChart(ScatterChart):
    TITLE = "Cost vs score"
    EMPTY = "Run an evaluation to compare variants"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cost_score_chart")
        self.setToolTip("A point per variant: higher scores better, further left costs less")

    def set_summary(self, summary: EvalSummary | None) -> None:
        if summary is None:
            self.label, self.points = "", []
        else:
            self.label, self.points = chart_points(summary)
        self.update()

    def paint_points(self, painter: QPainter, metrics: QFontMetricsF) -> None:
        best = max(self.points, key=lambda p: (p[2], -p[1]))
        together: dict[tuple[float, float], list[str]] = {}  # variants on one spot: one label
        for name, x, y in self.points:
            centre = self.position(x, y)
            together.setdefault((round(centre.x()), round(centre.y())), []).append(name)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BEST if (name, x, y) == best and len(self.points) > 1 else POINT)
            painter.drawEllipse(centre, 5, 5)
        for name, x, y in self.points:
            centre = self.position(x, y)
            names = together.get((round(centre.x()), round(centre.y())))
            if names and names[0] == name:
                self.paint_label(painter, metrics, centre, f"{', '.join(names)} ({y:.2f})")
