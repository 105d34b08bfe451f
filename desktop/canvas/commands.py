"""Undo commands: every canvas edit is one of these; redo()/undo() call the document."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.workflow.annotations import Annotation
from engine.workflow.document import RemovedNode, WorkflowDocument
from engine.workflow.model import Edge, InputDecl, Node, NodePolicy


class AddNodeCommand(QUndoCommand):
    """Add a node and, with `declare`, the workflow input it reads, as one step."""

    def __init__(
        self,
        document: WorkflowDocument,
        node: Node,
        index: int | None = None,
        declare: InputDecl | None = None,
    ) -> None:
        super().__init__(f"Add {node.title or node.id}")
        self.document = document
        self.node = node.model_copy(deep=True)
        self.index = index
        self.declare = declare.model_copy(deep=True) if declare is not None else None

    def redo(self) -> None:
        if self.declare is not None:
            self.document.add_input(self.declare)
        self.document.add_node(self.node, self.index)

    def undo(self) -> None:
        self.document.remove_node(self.node.id)
        if self.declare is not None:
            self.document.remove_input(self.declare.name)


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
        self,
        document: WorkflowDocument,
        node_ids: Sequence[str],
        edges: Sequence[Edge] = (),
        annotation_ids: Sequence[str] = (),
    ) -> None:
        count = len(node_ids) + len(edges) + len(annotation_ids)
        super().__init__(f"Delete {count} item{'s' if count != 1 else ''}")
        self.document = document
        self.node_ids = list(dict.fromkeys(node_ids))
        doomed = set(self.node_ids)
        self.edges = [
            e.model_copy(deep=True)
            for e in edges
            if e.source.node not in doomed and e.target.node not in doomed
        ]
        self.annotation_ids = list(dict.fromkeys(annotation_ids))
        self._removed_edges: list[tuple[int, Edge]] = []
        self._removed_nodes: list[RemovedNode] = []
        self._removed_annotations: list[tuple[Annotation, int]] = []

    def redo(self) -> None:
        self._removed_edges = [(self.document.remove_edge(e), e) for e in self.edges]
        self._removed_nodes = [self.document.remove_node(n) for n in self.node_ids]
        self._removed_annotations = [
            self.document.remove_annotation(a) for a in self.annotation_ids
        ]

    def undo(self) -> None:
        for annotation, index in reversed(self._removed_annotations):
            self.document.add_annotation(annotation, index)
        for removed in reversed(self._removed_nodes):
            self.document.restore_node(removed)
        for index, edge in reversed(self._removed_edges):
            self.document.add_edge(edge, index)


Point = tuple[float, float]


Moves = dict[str, tuple[Point, Point]]


class MoveNodesCommand(QUndoCommand):
    """Move nodes (and frames/notes) as one step: a drag, a frame carrying its nodes, or
    an auto-layout. Pushed once, on mouse release."""

    def __init__(
        self,
        document: WorkflowDocument,
        moves: Moves,
        annotation_moves: Moves | None = None,
        label: str = "",
    ) -> None:
        n = len(moves)
        text = label or f"Move {n} node{'s' if n != 1 else ''}"
        if not moves and annotation_moves:
            text = label or "Move " + ", ".join(annotation_moves)
        super().__init__(text)
        self.document = document
        self.moves = dict(moves)
        self.annotation_moves = dict(annotation_moves or {})

    def redo(self) -> None:
        for node_id, (_, (x, y)) in self.moves.items():
            self.document.move_node(node_id, x, y)
        for annotation_id, (_, (x, y)) in self.annotation_moves.items():
            self.document.update_annotation(annotation_id, x=x, y=y)

    def undo(self) -> None:
        for node_id, ((x, y), _) in self.moves.items():
            self.document.move_node(node_id, x, y)
        for annotation_id, ((x, y), _) in self.annotation_moves.items():
            self.document.update_annotation(annotation_id, x=x, y=y)


class ReconnectEdgeCommand(QUndoCommand):
    """Replace an edge by another (an end dragged to a new port) as one step."""

    def __init__(self, document: WorkflowDocument, old: Edge, new: Edge) -> None:
        super().__init__(f"Reconnect {old.source} to {new.target}")
        self.document = document
        self.old = old.model_copy(deep=True)
        self.new = new.model_copy(deep=True)
        self._index = 0

    def redo(self) -> None:
        self._index = self.document.remove_edge(self.old)
        self.document.add_edge(self.new, self._index)

    def undo(self) -> None:
        self.document.remove_edge(self.new)
        self.document.add_edge(self.old, self._index)


class AddAnnotationCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, annotation: Annotation) -> None:
        super().__init__(f"Add {annotation.kind}")
        self.document = document
        self.annotation = annotation.model_copy()

    def redo(self) -> None:
        self.document.add_annotation(self.annotation)

    def undo(self) -> None:
        self.document.remove_annotation(self.annotation.id)


class UpdateAnnotationCommand(QUndoCommand):
    """Retitle, resize or recolour a frame or note."""

    def __init__(
        self, document: WorkflowDocument, annotation_id: str, label: str, **changes: Any
    ) -> None:
        super().__init__(label)
        self.document = document
        self.annotation_id = annotation_id
        current = document.annotation(annotation_id).model_dump()
        self.old = {k: current[k] for k in changes}
        self.new = dict(changes)

    def redo(self) -> None:
        self.document.update_annotation(self.annotation_id, **self.new)

    def undo(self) -> None:
        self.document.update_annotation(self.annotation_id, **self.old)


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


class CollapseNodesCommand(QUndoCommand):
    """Collapse (header only) or expand nodes, as one step."""

    def __init__(self, document: WorkflowDocument, node_ids: Sequence[str], collapse: bool) -> None:
        count = len(node_ids)
        verb = "Collapse" if collapse else "Expand"
        super().__init__(f"{verb} {node_ids[0] if count == 1 else f'{count} nodes'}")
        self.document = document
        self.before = {i: document.node(i).ui.collapsed for i in node_ids}
        self.collapse = collapse

    def redo(self) -> None:
        for node_id in self.before:
            self.document.set_node_collapsed(node_id, self.collapse)

    def undo(self) -> None:
        for node_id, was in self.before.items():
            self.document.set_node_collapsed(node_id, was)


class SetEdgeViaCommand(QUndoCommand):
    """Set an edge's reroute points (add, move or remove one) as one step."""

    def __init__(
        self,
        document: WorkflowDocument,
        edge: Edge,
        old: Sequence[tuple[float, float]],
        new: Sequence[tuple[float, float]],
        label: str,
    ) -> None:
        super().__init__(label)
        self.document = document
        self.edge = edge.model_copy(deep=True)
        self.old, self.new = list(old), list(new)

    def redo(self) -> None:
        self.document.set_edge_via(self.edge, self.new)

    def undo(self) -> None:
        self.document.set_edge_via(self.edge, self.old)
