"""Compare two runs of a workflow node by node: status, output, model, tokens and cost,
with differing cells highlighted."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.run.qt import named
from engine.store.protocol import RunRecord, RunStore
from engine.trace.fold import NodeRun, RunState, fold

FIELDS = ("status", "model", "tokens", "cost", "output")
HEADERS = ["Node"] + [f"{f} {side}" for f in FIELDS for side in ("A", "B")]
DIFF = QColor(255, 196, 0, 70)


@dataclass
class NodeComparison:
    node_id: str
    a: dict[str, str]
    b: dict[str, str]

    @property
    def differs(self) -> set[str]:
        return {f for f in FIELDS if self.a[f] != self.b[f]}


def _cells(node: NodeRun | None) -> dict[str, str]:
    if node is None:
        return {f: "—" for f in FIELDS}
    output: Any = node.outputs if node.outputs is not None else ""
    if isinstance(output, dict) and len(output) == 1:
        output = next(iter(output.values()))
    text = (
        output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, default=repr)
    )
    return {
        "status": node.state or "—",
        "model": node.model or "",
        "tokens": str(node.tokens) if node.tokens else "",
        "cost": f"${node.cost_usd:.4f}" if node.cost_usd else "",
        "output": text,
    }


def compare_states(a: RunState, b: RunState) -> list[NodeComparison]:
    order = list(a.nodes) + [n for n in b.nodes if n not in a.nodes]
    return [NodeComparison(n, _cells(a.nodes.get(n)), _cells(b.nodes.get(n))) for n in order]


def _describe(label: str, record: RunRecord) -> str:
    took = f"{record.finished_at - record.started_at:.2f}s" if record.finished_at else "—"
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.started_at))
    tokens = record.prompt_tokens + record.completion_tokens
    return (
        f"<b>{label}</b> <code>{record.run_id}</code> {when} — {record.status}, {took}, "
        f"{tokens} tokens, ${record.cost_usd:.4f}"
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two stored runs, compared node by node (read by `load_comparison`)."""

    records: tuple[RunRecord, RunRecord]
    rows: list[NodeComparison]


def load_comparison(store: RunStore, run_a: str, run_b: str) -> Comparison:
    """Read and compare two runs (blocking: call it in a worker thread). Raises KeyError
    naming a run that is not in the store."""
    a, b = store.get_run(run_a), store.get_run(run_b)
    if a is None or b is None:
        raise KeyError(run_a if a is None else run_b)
    return Comparison((a, b), compare_states(fold(store.events(run_a)), fold(store.events(run_b))))


class CompareRunsDialog(QDialog):
    def __init__(self, loaded: Comparison, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compare_dialog")
        self.setWindowTitle("Compare runs")
        self.resize(1100, 520)
        records = loaded.records
        self.rows = loaded.rows
        layout = QVBoxLayout(self)
        text = "<br>".join(_describe(lbl, r) for lbl, r in zip("AB", records, strict=True))
        if records[0].workflow_name != records[1].workflow_name:
            text += "<br><span style='color:#e0413a'>These runs are of different workflows.</span>"
        elif records[0].workflow_hash != records[1].workflow_hash:
            text += "<br><i>The workflow changed between these runs.</i>"
        layout.addWidget(QLabel(text, wordWrap=True))
        self.only_diff = named(QCheckBox("Only nodes that differ"), "only_diff")
        self.only_diff.toggled.connect(self._fill)
        layout.addWidget(self.only_diff)
        self.table = named(QTableWidget(0, len(HEADERS)), "compare_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._fill()

    def _fill(self) -> None:
        rows = [r for r in self.rows if r.differs or not self.only_diff.isChecked()]
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(row.node_id))
            differs = row.differs
            for j, field in enumerate(FIELDS):
                for k, side in enumerate((row.a, row.b)):
                    item = QTableWidgetItem(side[field][:200])
                    item.setToolTip(side[field][:3000])
                    if field in differs:
                        item.setBackground(DIFF)
                    self.table.setItem(i, 1 + 2 * j + k, item)
        self.table.resizeColumnsToContents()
        for column in (len(HEADERS) - 2, len(HEADERS) - 1):
            self.table.setColumnWidth(column, 320)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
