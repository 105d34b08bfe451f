"""The run status bar: where the run's map items execute (local, or a cluster's workers
with each one's items done), elapsed time, nodes done of total, tokens, cost against the
budget and a progress bar, refreshed when the canvas overlay repaints."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from engine.trace.fold import RunState

if TYPE_CHECKING:
    from engine.cluster.connection import Cluster


class RunStatusWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        self.status = QLabel()
        self.where = QLabel()
        self.where.setObjectName("run_where")
        self.elapsed = QLabel()
        self.nodes = QLabel()
        self.tokens = QLabel()
        self.cost = QLabel()
        self.progress = QProgressBar()
        self.progress.setFixedWidth(170)
        self.progress.setTextVisible(True)
        # Room for the longest usual text, so the bar does not shift as the numbers change.
        widest = {
            self.status: "waiting approval",
            self.where: "cluster: 2 workers (000 · 000 items)",
            self.elapsed: "elapsed 00:00.0",
            self.nodes: "000/000 nodes",
            self.tokens: "000000 tokens",
            self.cost: "$0.0000 of $00.00",
        }
        for widget, text in widest.items():
            widget.setMinimumWidth(widget.fontMetrics().horizontalAdvance(text) + 8)
            layout.addWidget(widget)
        layout.addWidget(self.progress)
        self.setVisible(False)

    def show_place(self, cluster: Cluster | None, start: dict[str, int] | None = None) -> None:
        """Where map items run: `local`, or the cluster's live workers and how many items
        each has done since `start` (its counts when the run began; the tooltip names the
        workers, with the items each has in flight)."""
        if cluster is None:
            self.where.setText("local")
            self.where.setToolTip("Map items run in this process")
            return
        if cluster.lost is not None:
            self.where.setText("cluster lost")
            self.where.setToolTip(cluster.lost)
            return
        start = start or {}
        live = cluster.live
        done = " · ".join(str(w.done - start.get(w.name, 0)) for w in live)
        self.where.setText(f"cluster: {len(live)} workers ({done} items)")
        lines = [f"Map items run on the cluster at {cluster.address}"]
        for worker in cluster.workers:
            count = worker.done - start.get(worker.name, 0)
            state = f"{count} done, {worker.busy} in flight" if worker.alive else "lost"
            lines.append(f"{worker.name}: {state}")
        self.where.setToolTip("\n".join(lines))

    def show_state(
        self, state: RunState, total: int, budget: float | None, now: float | None = None
    ) -> None:
        if state.started is None:
            self.setVisible(False)
            return
        self.setVisible(True)
        total = max(total, state.node_count, 1)
        done = state.done_count
        now = now if now is not None else time.time()
        self.status.setText(f"<b>{state.status.replace('_', ' ')}</b>")
        self.elapsed.setText(f"elapsed {_clock(state.elapsed(now))}")
        self.nodes.setText(f"{done}/{total} nodes")
        self.tokens.setText(f"{state.tokens} tokens")
        cost = f"${state.cost_usd:.4f}"
        if budget is not None:
            cost += f" of ${budget:.2f}"
            over = state.cost_usd > budget
            self.cost.setStyleSheet("color: #e0413a;" if over else "")
        self.cost.setText(cost)
        self.progress.setRange(0, total)
        self.progress.setValue(min(done, total))
        self.progress.setFormat(f"{done}/{total}")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:04.1f}"
