"""Undo commands: every canvas edit is one of these; redo()/undo() call the document."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.workflow.document import RemovedNode, WorkflowDocument
from engine.workflow.model import Edge, Node, NodePolicy


class AddNodeCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, node: Node, index: int | None = None) -> None:
        super().__init__(f"Add {node.title or node.id}")
        self.document = document
        self.node = node.model_copy(deep=True)
        self.index = index

    def redo(self) -> None:
        self.document.add_node(self.node, self.index)

    def undo(self) -> None:
        self.document.remove_node(self.node.id)


class AddEdgeCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, edge: Edge) -> None:
        super().__init__(f"Connect {edge.source} to {edge.target}")
        self.document = document
        self.edge = edge.model_copy(deep=True)

    def redo(self) -> None:
        self.document.add_edge(self.edge)

    def undo(self) -> None:
        self.document.remove_edge(self.edge)


class DeleteCommand(QUndoCommand):
    """Delete edges and nodes (with their edges) as one step; undo restores exact order."""

    def __init__(
        self, document: WorkflowDocument, node_ids: Sequence[str], edges: Sequence[Edge] = ()
    ) -> None:
        count = len(node_ids) + len(edges)
        super().__init__(f"Delete {count} item{'s' if count != 1 else ''}")
        self.document = document
        self.node_ids = list(dict.fromkeys(node_ids))
        doomed = set(self.node_ids)
        self.edges = [
            e.model_copy(deep=True)
            for e in edges
            if e.source.node not in doomed and e.target.node not in doomed
        ]
        self._removed_edges: list[tuple[int, Edge]] = []
        self._removed_nodes: list[RemovedNode] = []

    def redo(self) -> None:
        self._removed_edges = [(self.document.remove_edge(e), e) for e in self.edges]
        self._removed_nodes = [self.document.remove_node(n) for n in self.node_ids]

    def undo(self) -> None:
        for removed in reversed(self._removed_nodes):
            self.document.restore_node(removed)
        for index, edge in reversed(self._removed_edges):
            self.document.add_edge(edge, index)


Point = tuple[float, float]


class MoveNodesCommand(QUndoCommand):
    """Move one or more nodes as one step (pushed once, on mouse release)."""

    def __init__(self, document: WorkflowDocument, moves: dict[str, tuple[Point, Point]]) -> None:
        n = len(moves)
        super().__init__(f"Move {n} node{'s' if n != 1 else ''}")
        self.document = document
        self.moves = dict(moves)

    def redo(self) -> None:
        for node_id, (_, (x, y)) in self.moves.items():
            self.document.move_node(node_id, x, y)

    def undo(self) -> None:
        for node_id, ((x, y), _) in self.moves.items():
            self.document.move_node(node_id, x, y)


class RenameNodeCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, node_id: str, title: str) -> None:
        super().__init__(f"Rename {node_id}")
        self.document = document
        self.node_id = node_id
        self.old = document.node(node_id).title
        self.new = title

    def redo(self) -> None:
        self.document.rename_node(self.node_id, self.new)

    def undo(self) -> None:
        self.document.rename_node(self.node_id, self.old)


class SetConfigCommand(QUndoCommand):
    def __init__(
        self, document: WorkflowDocument, node_id: str, config: dict[str, Any], label: str = ""
    ) -> None:
        super().__init__(f"Edit {label or 'config'} of {node_id}")
        self.document = document
        self.node_id = node_id
        self.old = copy.deepcopy(document.node(node_id).config)
        self.new = copy.deepcopy(config)

    def redo(self) -> None:
        self.document.set_node_config(self.node_id, self.new)

    def undo(self) -> None:
        self.document.set_node_config(self.node_id, self.old)


class SetPolicyCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, node_id: str, policy: NodePolicy) -> None:
        super().__init__(f"Edit policy of {node_id}")
        self.document = document
        self.node_id = node_id
        self.old = document.node(node_id).policy.model_copy(deep=True)
        self.new = policy.model_copy(deep=True)

    def redo(self) -> None:
        self.document.set_node_policy(self.node_id, self.new)

    def undo(self) -> None:
        self.document.set_node_policy(self.node_id, self.old)


class PasteCommand(QUndoCommand):
    """Add several nodes and the edges among them as one step (paste, duplicate)."""

    def __init__(
        self, document: WorkflowDocument, nodes: Sequence[Node], edges: Sequence[Edge], label: str
    ) -> None:
        super().__init__(f"{label} {len(nodes)} node{'s' if len(nodes) != 1 else ''}")
        self.document = document
        self.nodes = [n.model_copy(deep=True) for n in nodes]
        self.edges = [e.model_copy(deep=True) for e in edges]

    def redo(self) -> None:
        for node in self.nodes:
            self.document.add_node(node)
        for edge in self.edges:
            self.document.add_edge(edge)

    def undo(self) -> None:
        for node in reversed(self.nodes):
            self.document.remove_node(node.id)
