"""The chart of a routing calibration: the cascades on the cost-vs-score frontier (share of
rows sent to a remote model, or escalated past the first rung, across; score up), each rung
alone, the quality target, the chosen point and a point picked instead, on the Evaluate
dock's scatter frame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from desktop.canvas.style import colors
from desktop.evaluate.score_chart import BEST, POINT, Point, ScatterChart
from engine.routing.calibration import CascadePoint

if TYPE_CHECKING:  # the calibration engine loads in a worker thread, with the evaluator
    from engine.evaluation.calibrate import Calibration

Axis = Literal["remote", "escalated"]
AXIS_LABELS: dict[Axis, str] = {
    "remote": "share of rows sent to a remote model",
    "escalated": "share of rows escalated past the first rung",
}


def default_axis(result: Calibration) -> Axis:
    """Remote share when a rung is remote; else every cascade is all local (remote share 0)
    and what a threshold trades is escalations."""
    return "remote" if any(result.rung_remote) else "escalated"


def point_x(point: CascadePoint, axis: Axis) -> float:
    return point.remote_share if axis == "remote" else point.escalated_share


def rung_points(result: Calibration, axis: Axis) -> list[Point]:
    """Each rung alone: every row answered there (remote when the rung is; escalated for
    every rung above the first)."""
    points = []
    for i, (model, score) in enumerate(zip(result.ladder, result.rung_scores, strict=True)):
        x = float(result.rung_remote[i]) if axis == "remote" else float(i > 0)
        points.append((f"{model} alone", x, score))
    return points


class FrontierChart(ScatterChart):
    TITLE = "Cost vs score of the cascades"
    EMPTY = "Calibrate to see each rung alone and the cheapest cascades"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("frontier_chart")
        self.setToolTip(
            "Blue: cascades no other beats on both cost and score; squares: each rung alone; "
            "green: the chosen cascade; ringed: the cascade selected instead; dashed: the "
            "quality target"
        )
        self.result: Calibration | None = None
        self.axis: Axis = "remote"
        self.frontier: list[Point] = []
        self.rungs: list[Point] = []
        self.chosen: Point | None = None
        self.picked: Point | None = None
        self.target: float | None = None

    def set_calibration(self, result: Calibration | None, axis: Axis | None = None) -> None:
        self.result = result
        if result is None:
            self.points, self.frontier, self.rungs = [], [], []
            self.chosen = self.picked = None
            self.label, self.target = "", None
            self.update()
            return
        self.axis = axis or default_axis(result)
        self.label = AXIS_LABELS[self.axis]
        self.frontier = sorted(
            (("", point_x(p, self.axis), p.score) for p in result.frontier), key=lambda p: p[1]
        )
        self.rungs = rung_points(result, self.axis)
        chosen = result.chosen
        self.chosen = ("chosen", point_x(chosen, self.axis), chosen.score)
        picked = result.picked
        self.picked = (
            None if picked is None else ("applied", point_x(picked, self.axis), picked.score)
        )
        self.target = result.target * result.top_score
        self.points = [
            *self.frontier,
            *self.rungs,
            self.chosen,
            *([self.picked] if self.picked else []),
        ]
        self.update()

    def top_x(self) -> float:
        return 1.0

    def x_tick(self, value: float) -> str:
        return f"{100 * value:.0f}%"

    def paint_points(self, painter: QPainter, metrics: QFontMetricsF) -> None:
        palette = colors()
        area = self.plot_rect()
        if self.target is not None:
            y = self.position(0, self.target).y()
            painter.setPen(QPen(BEST, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(palette.subtext)
            painter.drawText(
                QRectF(area.right() - 120, y + 1, 118, 14),
                Qt.AlignmentFlag.AlignRight,
                f"target {self.target:.2f}",
            )
        if len(self.frontier) > 1:
            path = QPainterPath(self.position(*self.frontier[0][1:]))
            for _, x, y in self.frontier[1:]:
                path.lineTo(self.position(x, y))
            painter.setPen(QPen(POINT, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(POINT)
        for _, x, y in self.frontier:
            painter.drawEllipse(self.position(x, y), 4, 4)
        for name, x, y in self.rungs:
            centre = self.position(x, y)
            painter.setPen(QPen(palette.text, 1.5))
            painter.setBrush(palette.node_body)
            painter.drawRect(QRectF(centre.x() - 5, centre.y() - 5, 10, 10))
            self.paint_label(painter, metrics, centre, f"{name} ({y:.2f})")
        if self.chosen is not None:
            _, x, y = self.chosen
            centre = self.position(x, y)
            painter.setPen(QPen(BEST, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, 9, 9)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BEST)
            painter.drawEllipse(centre, 5, 5)
            below = QPointF(centre.x(), centre.y() + 30)  # under the point, off the rungs'
            self.paint_label(painter, metrics, below, f"chosen ({y:.2f})")
        if self.picked is not None:
            _, x, y = self.picked
            centre = self.position(x, y)
            painter.setPen(QPen(palette.text, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, 9, 9)
            above = QPointF(centre.x(), centre.y() - 18)  # a line over a rung's label there
            self.paint_label(painter, metrics, above, f"applied ({y:.2f})")
