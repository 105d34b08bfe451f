"""The trace's cost breakdown: horizontal bars by node and by model, local and remote in
different colours (bars show tokens when the whole run cost nothing, as local runs do)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from desktop.canvas.style import colors, small_font, title_font
from engine.trace.fold import RunState

LOCAL = QColor("#22a559")
REMOTE = QColor("#3b82f6")
BAR = 16.0
LABEL_W = 170.0


@dataclass
class CostRow:
    label: str
    cost_usd: float
    tokens: int
    remote: bool


def cost_rows(state: RunState) -> tuple[list[CostRow], list[CostRow]]:
    """(by node, by model), biggest first. Model calls are used when the run has them."""
    by_node = [
        CostRow(n.node_id, n.cost_usd, n.tokens, bool(n.remote))
        for n in state.nodes.values()
        if n.tokens or n.cost_usd
    ]
    models: dict[str, CostRow] = {}
    calls = [e for e in state.events if e.type == "model_call"]
    if calls:
        for event in calls:
            d = event.payload()
            tokens = int(d.get("prompt_tokens", 0)) + int(d.get("completion_tokens", 0))
            _add(
                models,
                str(d.get("model")),
                float(d.get("cost_usd", 0.0)),
                tokens,
                bool(d.get("remote")),
            )
    else:
        for n in state.nodes.values():
            if n.model and (n.tokens or n.cost_usd):
                _add(models, n.model, n.cost_usd, n.tokens, bool(n.remote))
    return sorted(by_node, key=_biggest), sorted(models.values(), key=_biggest)


def _biggest(row: CostRow) -> tuple[float, int, str]:
    return (-row.cost_usd, -row.tokens, row.label)


def _add(rows: dict[str, CostRow], model: str, cost: float, tokens: int, remote: bool) -> None:
    row = rows.setdefault(model, CostRow(model, 0.0, 0, remote))
    row.cost_usd += cost
    row.tokens += tokens


class CostChartWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cost_chart")
        self.by_node: list[CostRow] = []
        self.by_model: list[CostRow] = []
        self.budget: float | None = None

    def set_state(self, state: RunState, budget: float | None = None) -> None:
        self.by_node, self.by_model = cost_rows(state)
        self.budget = budget
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        rows = len(self.by_node) + len(self.by_model)
        return QSize(500, int(90 + (BAR + 6) * max(rows, 2)))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = colors()
        painter.fillRect(self.rect(), palette.node_body)
        rows = self.by_node + self.by_model
        total_cost = sum(r.cost_usd for r in self.by_node)
        total_tokens = sum(r.tokens for r in self.by_node)
        by_cost = total_cost > 0
        painter.setPen(palette.text)
        painter.setFont(title_font())
        head = f"Total ${total_cost:.4f} · {total_tokens} tokens"
        if self.budget is not None:
            head += f" · budget ${self.budget:.2f}"
        if not by_cost and rows:
            head += "  (all local, no cost: bars show tokens)"
        painter.drawText(QRectF(8, 4, self.width() - 16, 20), Qt.AlignmentFlag.AlignVCenter, head)
        if not rows:
            painter.setFont(small_font())
            painter.setPen(palette.subtext)
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "No model calls in this run"
            )
            return
        peak = max((r.cost_usd if by_cost else r.tokens) for r in rows) or 1
        y = 30.0
        for title, group in (("By node", self.by_node), ("By model", self.by_model)):
            painter.setFont(title_font())
            painter.setPen(palette.subtext)
            painter.drawText(QRectF(8, y, 200, 18), Qt.AlignmentFlag.AlignVCenter, title)
            y += 20
            painter.setFont(small_font())
            metrics = QFontMetricsF(small_font())
            for row in group:
                painter.setPen(palette.text)
                label = metrics.elidedText(row.label, Qt.TextElideMode.ElideMiddle, LABEL_W - 16)
                painter.drawText(
                    QRectF(16, y, LABEL_W - 16, BAR), Qt.AlignmentFlag.AlignVCenter, label
                )
                value = row.cost_usd if by_cost else row.tokens
                room = max(10.0, self.width() - LABEL_W - 150)
                width = max(2.0, room * value / peak)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(REMOTE if row.remote else LOCAL)
                painter.drawRoundedRect(QRectF(LABEL_W, y + 2, width, BAR - 4), 3, 3)
                painter.setPen(palette.subtext)
                where = "remote" if row.remote else "local"
                text = f"${row.cost_usd:.4f} · {row.tokens} tok · {where}"
                painter.drawText(
                    QRectF(LABEL_W + width + 6, y, 200, BAR), Qt.AlignmentFlag.AlignVCenter, text
                )
                y += BAR + 6
            y += 8
