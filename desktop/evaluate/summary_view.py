"""An evaluation's summary per variant: pass rate, each scorer's mean with its 95% interval,
cost, tokens, remote-call share and p50/p95 latency, with the eval file's gate above it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.run.qt import named
from engine.evaluation.summary import EvalSummary, VariantSummary

BEFORE = ["Variant", "Rows", "Pass rate"]
AFTER = ["Cost", "Tokens", "Remote", "Latency p50 / p95"]
MAX_HEIGHT = 240
"""The table grows with its variants up to this, then scrolls; the chart takes the rest."""


def scorer_cell(summary: VariantSummary, scorer: str) -> str:
    found = summary.scorers.get(scorer)
    if found is None or not found.n:
        return "—"
    return f"{found.mean:.2f} [{found.low:.2f}, {found.high:.2f}]"


def variant_cells(v: VariantSummary, scorers: list[str]) -> list[str]:
    if not v.rows:
        return [v.variant, "0", *(["—"] * (len(scorers) + len(AFTER) + 1))]
    return [
        v.variant,
        str(v.rows),
        f"{100 * v.pass_rate:.0f}% ({v.passed}/{v.rows})",
        *(scorer_cell(v, s) for s in scorers),
        f"${v.cost_usd:.4f}",
        str(v.tokens),
        f"{100 * v.remote_share:.0f}% of {v.model_calls}",
        f"{v.latency_p50_s:.2f}s / {v.latency_p95_s:.2f}s",
    ]


class EvalSummaryView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eval_summary")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = named(QLabel("No evaluation yet"), "eval_heading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        self.table = named(QTableWidget(0, 0), "eval_summary_table")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setMaximumHeight(MAX_HEIGHT)
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        layout.addWidget(self.table)
        self.summary: EvalSummary | None = None
        self.table.setVisible(False)

    def clear(self, text: str = "No evaluation yet") -> None:
        self.summary = None
        self.heading.setText(text)
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.table.setVisible(False)

    def set_summary(self, summary: EvalSummary) -> None:
        self.summary = summary
        record = summary.record
        scorers = [str(s["id"]) for s in record.spec.get("scorers", [])]
        gate = ""
        has_gate = (
            record.spec.get("min_score") is not None or record.spec.get("min_pass_rate") is not None
        )
        if summary.gate_failures:
            gate = " · <span style='color:#e0413a'><b>gate not met</b></span>: " + "; ".join(
                summary.gate_failures[:3]
            )
        elif has_gate and summary.done_rows:
            gate = " · <span style='color:#22a559'><b>gate met</b></span>"
        self.heading.setText(
            f"<b>{_escape(record.name)}</b> on {_escape(record.dataset_name)}"
            f"@{record.dataset_hash[:8]} · {summary.done_rows}/{summary.expected_rows} rows"
            f" · {record.status}{gate}"
        )
        headers = [*BEFORE, *(f"{s} mean [95% CI]" for s in scorers), *AFTER]
        self.table.setVisible(True)
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        variants = list(summary.variants.values())
        self.table.setRowCount(len(variants))
        for i, v in enumerate(variants):
            for j, text in enumerate(variant_cells(v, scorers)):
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
