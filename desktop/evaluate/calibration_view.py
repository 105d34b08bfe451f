"""What a routing calibration found, as the calibration dialog shows it: each rung of the
ladder alone, the frontier of cascades (table and chart, the chosen one marked, the one to
apply selected), whether it reaches the quality target, and the route policy it would
write into the node."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.evaluate.frontier_chart import AXIS_LABELS, Axis, FrontierChart, default_axis
from desktop.run.qt import named
from engine.routing.calibration import ALWAYS_ESCALATE, CascadePoint

if TYPE_CHECKING:
    from engine.evaluation.calibrate import Calibration

RUNG_HEADERS = ["Rung", "Model", "Score alone", "Where", "Answers (applied)"]
FRONTIER_HEADERS = ["Remote", "Escalated", "Cost", "Score", "Thresholds"]
HINT = (
    "Choose a node and calibrate: each rung of its ladder runs alone over the dataset, then "
    "the cheapest cascade reaching the target is chosen."
)
OK = "color:#22a559"
SHORT = "color:#e0413a"


def thresholds_text(point: CascadePoint, ladder: list[str]) -> str:
    """Who answers in a cascade: each rung when its confidence reaches its threshold (or
    always, or never), else the top rung."""
    parts: list[str] = []
    for model, value in zip(ladder[:-1], point.thresholds, strict=False):
        if value <= 0:
            return ", ".join([*parts, f"{model} answers every row"])
        parts.append(
            f"{model} skipped"
            if value >= ALWAYS_ESCALATE
            else f"{model} if confident ≥ {value:.3f}"
        )
    return ", ".join([*parts, f"else {ladder[-1]}"])


def _reach(reaches: bool) -> str:
    if reaches:
        return f"<span style='{OK}'><b>reaches</b></span>"
    return f"<span style='{SHORT}'><b>does not reach</b></span>"


def verdict_html(result: Calibration) -> str:
    chosen, wanted = result.chosen, result.target * result.top_score
    text = (
        f"Chosen cascade: score <b>{chosen.score:.3f}</b> with "
        f"{100 * chosen.remote_share:.0f}% of rows remote and "
        f"{100 * chosen.escalated_share:.0f}% escalated; it {_reach(result.met)} the target "
        f"{result.target:g} &times; {result.top_score:.3f} (the top rung's score) = {wanted:.3f}. "
        f"{len(result.rows)} rows, evaluation {result.eval_id}."
    )
    picked = result.picked
    if picked is not None:
        text += (
            f"<br><b>Applying the selected cascade instead:</b> score <b>{picked.score:.3f}</b> "
            f"with {100 * picked.remote_share:.0f}% remote and "
            f"{100 * picked.escalated_share:.0f}% escalated; it "
            f"{_reach(result.reaches_target(picked))} the target."
        )
    return text


def route_yaml(route: dict[str, Any]) -> str:
    return yaml.safe_dump({"route": route}, sort_keys=False, default_flow_style=False)


def _item(text: str, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(headers: list[str], name: str) -> QTableWidget:
    table = named(QTableWidget(0, len(headers)), name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


class CalibrationView(QWidget):
    point_selected = Signal(object)
    """A `CascadePoint`: the user selected its row of the frontier table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_view")
        self.result: Calibration | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.verdict = named(QLabel(), "calibration_verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.verdict)

        self.rungs = _table(RUNG_HEADERS, "calibration_rungs")
        self.frontier = _table(FRONTIER_HEADERS, "calibration_frontier")
        self.frontier.setToolTip(
            "Cascades no other beats on both cost and score, cheapest first. ● is the cheapest "
            "reaching the target; select another row to apply that cascade instead"
        )
        self.frontier.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.frontier.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.frontier.itemSelectionChanged.connect(self._on_frontier_selection)
        self.route = named(QPlainTextEdit(), "calibration_route")
        self.route.setReadOnly(True)
        self.route.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.route.setFont(QFont("monospace"))
        self.route.setPlaceholderText("The route policy the calibration would write")
        tables = QWidget()
        column = QVBoxLayout(tables)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel("<b>Each rung alone</b>"))
        column.addWidget(self.rungs, 1)
        column.addWidget(
            QLabel("<b>Frontier</b> (cheapest first; ● chosen; the selected row is applied)")
        )
        column.addWidget(self.frontier, 2)
        column.addWidget(QLabel("<b>Route policy</b> it would write into the node"))
        column.addWidget(self.route, 3)

        self.chart = FrontierChart()
        self.axis = named(QComboBox(), "frontier_axis")
        for axis, label in AXIS_LABELS.items():
            self.axis.addItem(f"across: {label}", axis)
        self.axis.activated.connect(self._on_axis)
        chart_box = QWidget()
        chart_column = QVBoxLayout(chart_box)
        chart_column.setContentsMargins(0, 0, 0, 0)
        axis_row = QHBoxLayout()
        axis_row.addStretch(1)
        axis_row.addWidget(self.axis)
        chart_column.addLayout(axis_row)
        chart_column.addWidget(self.chart, 1)

        split = named(QSplitter(Qt.Orientation.Horizontal), "calibration_split")
        split.addWidget(tables)
        split.addWidget(chart_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([620, 560])
        layout.addWidget(split, 1)
        self.clear()

    def clear(self, text: str = HINT) -> None:
        self.result = None
        self.verdict.setText(text)
        self.rungs.setRowCount(0)
        self.frontier.setRowCount(0)
        self.chart.set_calibration(None)
        self.route.setPlainText("")

    def set_calibration(self, result: Calibration, route: dict[str, Any] | None) -> None:
        self.result = result
        self.verdict.setText(verdict_html(result))
        answered = result.applied.answered_by
        self.rungs.setRowCount(len(result.ladder))
        for i, model in enumerate(result.ladder):
            cells = [
                _item(str(i + 1), True),
                _item(model),
                _item(f"{result.rung_scores[i]:.3f}", True),
                _item("remote" if result.rung_remote[i] else "local"),
                _item(str(answered[i]) if i < len(answered) else "—", True),
            ]
            for j, item in enumerate(cells):
                self.rungs.setItem(i, j, item)
        self.frontier.blockSignals(True)  # filling and selecting the applied row picks nothing
        self.frontier.setRowCount(len(result.frontier))
        for i, point in enumerate(result.frontier):
            chosen = point == result.chosen
            cells = [
                _item(f"{100 * point.remote_share:.0f}%", True),
                _item(f"{100 * point.escalated_share:.0f}%", True),
                _item(f"${point.cost_usd:.4f}", True),
                _item(f"{'● ' if chosen else ''}{point.score:.3f}", True),
                _item(thresholds_text(point, result.ladder)),
            ]
            for j, item in enumerate(cells):
                if chosen:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.frontier.setItem(i, j, item)
        self.frontier.clearSelection()
        if result.applied in result.frontier:
            self.frontier.selectRow(result.frontier.index(result.applied))
        self.frontier.blockSignals(False)
        for table in (self.rungs, self.frontier):
            table.resizeColumnsToContents()
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        axis = default_axis(result)
        self.axis.setCurrentIndex(self.axis.findData(axis))
        self.chart.set_calibration(result, axis)
        self.route.setPlainText(route_yaml(route) if route is not None else "")

    def selected_row(self) -> int | None:
        rows = self.frontier.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _on_frontier_selection(self) -> None:
        row = self.selected_row()
        if self.result is not None and row is not None and row < len(self.result.frontier):
            self.point_selected.emit(self.result.frontier[row])

    def _on_axis(self, index: int) -> None:
        axis: Axis = self.axis.itemData(index)
        if self.result is not None:
            self.chart.set_calibration(self.result, axis)
