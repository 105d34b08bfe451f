"""The problems panel: problems found opening the file and `validate()` errors and
warnings, each with its file location while it still applies; activating one selects its
node. Also gathers problems per node for the canvas badges."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QStyle, QTreeWidget, QTreeWidgetItem, QWidget

from engine.errors import Problem
from engine.runtime.validate import Report
from engine.workflow.lenient import LenientLoad
from engine.workflow.loader import Locations
from engine.workflow.model import Edge, Workflow

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


class _Source:
    """What a file looked like when opened: problem locations apply while the nodes and
    edges they point at still sit at the same index."""

    def __init__(self, loaded: LenientLoad, path: Path) -> None:
        self.name = path.name
        self.problems = loaded.problems
        self.locations: Locations = loaded.locations
        self.node_ids = [n.id for n in loaded.workflow.nodes]
        self.edges: list[Edge] = list(loaded.workflow.edges)

    def where(self, problem: Problem, workflow: Workflow, *, loaded: bool = False) -> str:
        path = problem.path
        if not loaded and len(path) >= 2 and isinstance(path[1], int):
            i = path[1]
            if path[0] == "nodes":
                ids = [n.id for n in workflow.nodes]
                if i >= len(ids) or i >= len(self.node_ids) or ids[i] != self.node_ids[i]:
                    return ""
            if path[0] == "edges" and (
                i >= len(workflow.edges)
                or i >= len(self.edges)
                or workflow.edges[i] != self.edges[i]
            ):
                return ""
        line, column = (problem.line, problem.column) if loaded else self.locations.find(path)
        return f"{self.name}:{line}:{column}"


class ProblemsWidget(QTreeWidget):
    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Problem", "Node", "Location"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setColumnWidth(0, 520)
        self.setColumnWidth(1, 140)
        self.source: _Source | None = None
        self.by_node: dict[str, list[str]] = {}
        """Problems per node id, from the last `set_report` (for the canvas badges)."""
        self.itemActivated.connect(self._on_activated)
        self.itemClicked.connect(self._on_activated)

    def set_source(self, loaded: LenientLoad | None, path: Path | None) -> None:
        """The file just opened (None: a new workflow): its load problems stay listed."""
        self.source = _Source(loaded, path) if loaded is not None and path is not None else None

    def set_report(self, report: Report, workflow: Workflow) -> None:
        self.clear()
        self.by_node = {}
        style = self.style()
        rows: list[tuple[str, Problem, bool]] = []
        if self.source is not None:
            rows += [("error", p, True) for p in self.source.problems]
        rows += [("error", p, False) for p in report.errors]
        rows += [("warning", p, False) for p in report.warnings]
        for severity, problem, loaded in rows:
            node_id = self._node_of(problem, workflow, loaded)
            where = self.source.where(problem, workflow, loaded=loaded) if self.source else ""
            item = QTreeWidgetItem([problem.message, node_id or "", where])
            pixmap = QStyle.StandardPixmap.SP_MessageBoxCritical
            if severity == "warning":
                pixmap = QStyle.StandardPixmap.SP_MessageBoxWarning
            item.setIcon(0, style.standardIcon(pixmap))
            item.setData(0, NODE_ROLE, node_id)
            item.setData(1, NODE_ROLE, severity)
            item.setToolTip(0, problem.message)
            self.addTopLevelItem(item)
            if node_id:
                self.by_node.setdefault(node_id, []).append(problem.message)

    def _node_of(self, problem: Problem, workflow: Workflow, loaded: bool) -> str | None:
        if not loaded or self.source is None:
            return problem_node(problem, workflow)
        path = problem.path
        if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], int):
            ids = self.source.node_ids
            node_id = ids[path[1]] if path[1] < len(ids) else None
            return node_id if node_id and any(n.id == node_id for n in workflow.nodes) else None
        return None

    def messages(self) -> list[str]:
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]

    def locations(self) -> list[str]:
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [item.text(2) for item in items if item is not None]

    def _on_activated(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(str(node_id))
