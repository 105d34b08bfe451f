"""The trace of a run: timeline (Gantt), event log and cost breakdown in tabs; fed the
live run's state (throttled) or a replayed one."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QTabWidget, QWidget

from desktop.panels.cost_chart import CostChartWidget
from desktop.panels.event_log import EventLogWidget
from desktop.panels.gantt import GanttWidget
from engine.trace.fold import RunState


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


class TraceView(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trace_view")
        self.gantt = GanttWidget()
        self.log = EventLogWidget()
        self.cost = CostChartWidget()
        self.addTab(_scrolled(self.gantt), "Timeline")
        self.addTab(self.log, "Events")
        self.addTab(_scrolled(self.cost), "Cost")

    def set_state(
        self,
        state: RunState,
        order: list[str] | None = None,
        budget: float | None = None,
        now: float | None = None,
    ) -> None:
        self.gantt.set_state(state, order, now)
        self.log.set_events(state.events)
        self.cost.set_state(state, budget)
