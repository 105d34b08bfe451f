"""The problems panel: `validate()` errors and warnings; activating one selects its node."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QStyle, QTreeWidget, QTreeWidgetItem, QWidget

from engine.workflow.loader import Problem
from engine.workflow.model import Workflow
from engine.workflow.validate import Report

NODE_ROLE = Qt.ItemDataRole.UserRole


def problem_node(problem: Problem, workflow: Workflow) -> str | None:
    """The node a problem is about, from its data path (`nodes[i]…` or `edges[j]…`)."""
    path = problem.path
    if len(path) >= 2 and isinstance(path[1], int):
        if path[0] == "nodes" and path[1] < len(workflow.nodes):
            return workflow.nodes[path[1]].id
        if path[0] == "edges" and path[1] < len(workflow.edges):
            edge = workflow.edges[path[1]]
            end = path[2] if len(path) > 2 else "target"
            return edge.source.node if end == "source" else edge.target.node
    return None


class ProblemsWidget(QTreeWidget):
    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Problem", "Node"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setColumnWidth(0, 520)
        self.itemActivated.connect(self._on_activated)
        self.itemClicked.connect(self._on_activated)

    def set_report(self, report: Report, workflow: Workflow) -> None:
        self.clear()
        style = self.style()
        for severity, problems, pixmap in (
            ("error", report.errors, QStyle.StandardPixmap.SP_MessageBoxCritical),
            ("warning", report.warnings, QStyle.StandardPixmap.SP_MessageBoxWarning),
        ):
            for problem in problems:
                node_id = problem_node(problem, workflow)
                item = QTreeWidgetItem([problem.message, node_id or ""])
                item.setIcon(0, style.standardIcon(pixmap))
                item.setData(0, NODE_ROLE, node_id)
                item.setData(1, NODE_ROLE, severity)
                item.setToolTip(0, problem.message)
                self.addTopLevelItem(item)

    def messages(self) -> list[str]:
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]

    def _on_activated(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(str(node_id))
