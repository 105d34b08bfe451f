"""An editable workflow: the one mutator the desktop uses, emitting typed change events.

Views subscribe and redraw from events; undo commands call these methods. No Qt here.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import WorkflowLoadError
from engine.workflow.annotations import Annotation
from engine.workflow.changes import (
    AnnotationAdded,
    AnnotationChanged,
    AnnotationRemoved,
    Aspect,
    Change,
    DirtyChanged,
    DocumentReset,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    Observer,
    Section,
    WorkflowChanged,
)
from engine.workflow.lenient import load_lenient
from engine.workflow.loader import dumps_workflow, write_text_atomically
from engine.workflow.model import (
    Edge,
    EdgeUi,
    InputDecl,
    Metadata,
    Node,
    NodePolicy,
    Position,
    Workflow,
    WorkflowPolicy,
)
from engine.workflow.roundtrip import RoundTrip, dumps_roundtrip

__all__ = [
    "AnnotationAdded",
    "AnnotationChanged",
    "AnnotationRemoved",
    "Aspect",
    "Change",
    "DirtyChanged",
    "DocumentReset",
    "EdgeAdded",
    "EdgeRemoved",
    "NodeAdded",
    "NodeChanged",
    "NodeMoved",
    "NodeRemoved",
    "Observer",
    "RemovedNode",
    "WorkflowChanged",
    "WorkflowDocument",
    "new_workflow",
]


@dataclass(frozen=True, slots=True)
class RemovedNode:
    """What `remove_node` took out, enough for `restore_node` to put it back exactly."""

    node: Node
    index: int
    edges: tuple[tuple[int, Edge], ...]


def new_workflow(name: str = "Untitled") -> Workflow:
    return Workflow(metadata=Metadata(name=name))


class WorkflowDocument:
    """A workflow with a file path and a dirty flag. Nodes and edges handed out are the
    document's own objects: read them, never mutate them; call the methods here instead."""

    def __init__(
        self,
        workflow: Workflow | None = None,
        path: Path | None = None,
        annotations: list[Annotation] | None = None,
        source: str | None = None,
    ) -> None:
        self._annotations: list[Annotation] = []
        self._workflow = self._adopt(workflow or new_workflow(), annotations)
        self.path = path
        self._roundtrip = RoundTrip(source) if source else None
        self._dirty = False
        self._observers: list[Observer] = []

    @classmethod
    def open(cls, path: str | Path) -> WorkflowDocument:
        """Load a file strictly. Raises WorkflowLoadError with located problems."""
        loaded = load_lenient(path)
        if loaded.problems:
            raise WorkflowLoadError(loaded.problems)
        return cls(loaded.workflow, Path(path), loaded.annotations, loaded.text)

    def _adopt(
        self, workflow: Workflow, annotations: list[Annotation] | None, owned: bool = False
    ) -> Workflow:
        """A private deep copy of `workflow` (or `workflow` itself when the caller hands it
        over: `owned`); its annotations are the document's list."""
        own = workflow if owned else workflow.model_copy(deep=True)
        self._check_graph(own)
        if annotations is not None:
            own.annotations[:] = [a if owned else a.model_copy() for a in annotations]
        self._annotations = own.annotations
        return own

    # -- reading ---------------------------------------------------------------------

    @property
    def workflow(self) -> Workflow:
        return self._workflow

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def nodes(self) -> list[Node]:
        return list(self._workflow.nodes)

    @property
    def edges(self) -> list[Edge]:
        return list(self._workflow.edges)

    @property
    def annotations(self) -> list[Annotation]:
        return list(self._annotations)

    def annotation(self, annotation_id: str) -> Annotation:
        return self._annotations[self._annotation_index(annotation_id)]

    def snapshot(self) -> Workflow:
        """A deep copy, safe to hand to a run or keep."""
        return self._workflow.model_copy(deep=True)

    def has_node(self, node_id: str) -> bool:
        return any(n.id == node_id for n in self._workflow.nodes)

    def node(self, node_id: str) -> Node:
        return self._workflow.nodes[self._index(node_id)]

    def edges_of(self, node_id: str) -> list[Edge]:
        return [e for e in self._workflow.edges if node_id in (e.source.node, e.target.node)]

    def unique_id(self, base: str) -> str:
        """`base` if free, else `base_2`, `base_3`, … (made a valid id first)."""
        stem = re.sub(r"[^A-Za-z0-9_\-]", "_", base)[:56] or "node"
        if not re.match(r"[A-Za-z_]", stem):
            stem = f"n_{stem}"
        taken = {n.id for n in self._workflow.nodes} | {a.id for a in self._annotations}
        if stem not in taken:
            return stem
        return next(f"{stem}_{i}" for i in range(2, len(taken) + 3) if f"{stem}_{i}" not in taken)

    # -- observing -------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer` with every change; returns a function that unsubscribes."""
        self._observers.append(observer)

        def unsubscribe() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return unsubscribe

    def _emit(self, change: Change) -> None:
        for observer in list(self._observers):
            observer(change)

    def _touch(self) -> None:
        if not self._dirty:
            self._dirty = True
            self._emit(DirtyChanged(True))

    def mark_clean(self) -> None:
        if self._dirty:
            self._dirty = False
            self._emit(DirtyChanged(False))

    # -- whole-document operations ---------------------------------------------------

    def reset(
        self,
        workflow: Workflow,
        path: Path | None = None,
        annotations: list[Annotation] | None = None,
        *,
        owned: bool = False,
        source: str | None = None,
    ) -> None:
        """Replace the workflow (new / open / revert). The result is clean. `owned`: the
        caller hands `workflow` and `annotations` over and keeps no reference (a freshly
        loaded file), so they are not copied; a large file opens faster. `source`: the
        text it was read from, which saving keeps the layout and comments of."""
        self._workflow = self._adopt(
            workflow, annotations if annotations is not None else [], owned
        )
        self.path = path
        self._roundtrip = RoundTrip(source) if source else None
        self._emit(DocumentReset(self._workflow))
        self.mark_clean()

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("the document has no path yet; pass one")
        if self._roundtrip is None:
            text, roundtrip = dumps_workflow(self._workflow), None
        else:
            text, roundtrip = self._roundtrip.dumps(self._workflow)
        write_text_atomically(text, target)
        self.path = target
        self._roundtrip = roundtrip or RoundTrip(text)
        self.mark_clean()
        return target

    @property
    def source(self) -> str | None:
        """The text the workflow was read from or last saved as: saving applies the
        current state onto it, keeping its comments and layout (None: a plain dump)."""
        return self._roundtrip.text if self._roundtrip is not None else None

    def prepare_source(self) -> None:
        """Parse `source` for the next save now; slow for a large file, so callers run it
        off the GUI thread (safe from any thread)."""
        roundtrip = self._roundtrip
        if roundtrip is not None:
            roundtrip.prepare()

    def dumps(self) -> str:
        """The text a save writes: the current state applied onto `source` when there is
        one (its comments and layout kept), else the plain deterministic dump."""
        return dumps_roundtrip(self._workflow, self.source)

    # -- nodes -----------------------------------------------------------------------

    def add_node(self, node: Node, index: int | None = None) -> Node:
        if self.has_node(node.id):
            raise ValueError(f"a node with id {node.id!r} already exists")
        stored = node.model_copy(deep=True)
        nodes = self._workflow.nodes
        at = len(nodes) if index is None else max(0, min(index, len(nodes)))
        nodes.insert(at, stored)
        self._touch()
        self._emit(NodeAdded(stored, at))
        return stored

    def remove_node(self, node_id: str) -> RemovedNode:
        """Remove a node and every edge touching it (edges first, each announced)."""
        index = self._index(node_id)
        removed: list[tuple[int, Edge]] = []
        for i in range(len(self._workflow.edges) - 1, -1, -1):
            edge = self._workflow.edges[i]
            if node_id in (edge.source.node, edge.target.node):
                del self._workflow.edges[i]
                removed.append((i, edge))
                self._emit(EdgeRemoved(edge, i))
        node = self._workflow.nodes.pop(index)
        self._touch()
        self._emit(NodeRemoved(node, index))
        return RemovedNode(node, index, tuple(reversed(removed)))

    def restore_node(self, removed: RemovedNode) -> None:
        """Undo of `remove_node`: the node and its edges back at their old indexes."""
        self.add_node(removed.node, removed.index)
        for index, edge in removed.edges:
            self.add_edge(edge, index)

    def move_node(self, node_id: str, x: float, y: float) -> None:
        """Positions are kept to whole pixels (a drag ends anywhere; the file needs no
        more digits than the canvas shows)."""
        x, y = float(round(x)), float(round(y))
        node = self.node(node_id)
        if (node.position.x, node.position.y) == (x, y):
            return
        node.position = Position(x=x, y=y)
        self._touch()
        self._emit(NodeMoved(node_id, x, y))

    def rename_node(self, node_id: str, title: str) -> None:
        node = self.node(node_id)
        if node.title == title:
            return
        node.title = title
        self._touch()
        self._emit(NodeChanged(node, "title"))

    def set_node_collapsed(self, node_id: str, collapsed: bool) -> None:
        node = self.node(node_id)
        if node.ui.collapsed == collapsed:
            return
        node.ui = node.ui.model_copy(update={"collapsed": collapsed})
        self._touch()
        self._emit(NodeChanged(node, "ui"))

    def set_node_config(self, node_id: str, config: dict[str, Any]) -> None:
        node = self.node(node_id)
        if node.config == config:
            return
        node.config = copy.deepcopy(config)
        self._touch()
        self._emit(NodeChanged(node, "config"))

    def set_node_policy(self, node_id: str, policy: NodePolicy) -> None:
        node = self.node(node_id)
        if node.policy == policy:
            return
        node.policy = policy.model_copy(deep=True)
        self._touch()
        self._emit(NodeChanged(node, "policy"))

    # -- edges -----------------------------------------------------------------------

    def add_edge(self, edge: Edge, index: int | None = None) -> Edge:
        """Add an edge between existing nodes. Ports are checked by `validate`, not here."""
        for ref in (edge.source, edge.target):
            if not self.has_node(ref.node):
                raise ValueError(f"edge {edge.source} -> {edge.target}: no node {ref.node!r}")
        if any(e.source == edge.source and e.target == edge.target for e in self._workflow.edges):
            raise ValueError(f"edge {edge.source} -> {edge.target} already exists")
        stored = edge.model_copy(deep=True)
        edges = self._workflow.edges
        at = len(edges) if index is None else max(0, min(index, len(edges)))
        edges.insert(at, stored)
        self._touch()
        self._emit(EdgeAdded(stored, at))
        return stored

    def set_edge_via(self, edge: Edge, via: list[tuple[float, float]]) -> Edge:
        """Give the edge `source -> target` of `edge` these reroute points; the edge is
        announced as removed and added again at its index. Returns the stored edge."""
        index = self._edge_index(edge)
        old = self._workflow.edges[index]
        points = [Position(x=x, y=y) for x, y in via]
        if old.ui.via == points:
            return old
        stored = old.model_copy(update={"ui": EdgeUi(via=points)}, deep=True)
        del self._workflow.edges[index]
        self._emit(EdgeRemoved(old, index))
        self._workflow.edges.insert(index, stored)
        self._touch()
        self._emit(EdgeAdded(stored, index))
        return stored

    def _edge_index(self, edge: Edge) -> int:
        for i, e in enumerate(self._workflow.edges):
            if e.source == edge.source and e.target == edge.target:
                return i
        raise ValueError(f"no edge {edge.source} -> {edge.target}")

    def remove_edge(self, edge: Edge) -> int:
        """Remove the edge with `edge`'s two ends; returns its index (for undo)."""
        index = self._edge_index(edge)
        stored = self._workflow.edges.pop(index)
        self._touch()
        self._emit(EdgeRemoved(stored, index))
        return index

    # -- declared workflow inputs ----------------------------------------------------

    def has_input(self, name: str) -> bool:
        return any(d.name == name for d in self._workflow.inputs)

    def add_input(self, decl: InputDecl, index: int | None = None) -> int:
        """Declare a workflow input; returns its index (for undo)."""
        if self.has_input(decl.name):
            raise ValueError(f"an input named {decl.name!r} is already declared")
        inputs = self._workflow.inputs
        at = len(inputs) if index is None else max(0, min(index, len(inputs)))
        inputs.insert(at, decl.model_copy(deep=True))
        self._changed("inputs")
        return at

    def replace_input(self, index: int, decl: InputDecl) -> InputDecl:
        """Put `decl` in place of the input declared at `index` (a rename too); returns
        the one replaced (for undo)."""
        inputs = self._workflow.inputs
        old = inputs[index]
        if decl.name != old.name and self.has_input(decl.name):
            raise ValueError(f"an input named {decl.name!r} is already declared")
        if decl != old:
            inputs[index] = decl.model_copy(deep=True)
            self._changed("inputs")
        return old

    def remove_input(self, name: str) -> tuple[InputDecl, int]:
        """Remove a declared input; returns it and its index (for undo)."""
        for i, decl in enumerate(self._workflow.inputs):
            if decl.name == name:
                del self._workflow.inputs[i]
                self._changed("inputs")
                return decl, i
        raise KeyError(name)

    # -- metadata and workflow policy ------------------------------------------------

    def set_metadata(self, metadata: Metadata) -> None:
        if metadata != self._workflow.metadata:
            self._workflow.metadata = metadata.model_copy(deep=True)
            self._changed("metadata")

    def set_policy(self, policy: WorkflowPolicy) -> None:
        if policy != self._workflow.policy:
            self._workflow.policy = policy.model_copy(deep=True)
            self._changed("policy")

    def _changed(self, section: Section) -> None:
        self._touch()
        self._emit(WorkflowChanged(section))

    # -- annotations (frames and notes) ---------------------------------------------

    def add_annotation(self, annotation: Annotation, index: int | None = None) -> Annotation:
        if any(a.id == annotation.id for a in self._annotations):
            raise ValueError(f"an annotation with id {annotation.id!r} already exists")
        stored = annotation.model_copy()
        at = len(self._annotations) if index is None else max(0, index)
        at = min(at, len(self._annotations))
        self._annotations.insert(at, stored)
        self._touch()
        self._emit(AnnotationAdded(stored, at))
        return stored

    def remove_annotation(self, annotation_id: str) -> tuple[Annotation, int]:
        """Remove an annotation; returns it and its index (for undo)."""
        index = self._annotation_index(annotation_id)
        stored = self._annotations.pop(index)
        self._touch()
        self._emit(AnnotationRemoved(stored, index))
        return stored, index

    def update_annotation(self, annotation_id: str, **changes: Any) -> None:
        """Set fields (x, y, width, height, text, color); validated, no-ops emit nothing."""
        index = self._annotation_index(annotation_id)
        current = self._annotations[index]
        data = current.model_dump()
        data.update(changes)
        updated = Annotation.model_validate(data)
        if updated == current:
            return
        self._annotations[index] = updated
        self._touch()
        self._emit(AnnotationChanged(updated))

    def _annotation_index(self, annotation_id: str) -> int:
        for i, annotation in enumerate(self._annotations):
            if annotation.id == annotation_id:
                return i
        raise KeyError(annotation_id)

    # -- helpers ---------------------------------------------------------------------

    def _index(self, node_id: str) -> int:
        for i, node in enumerate(self._workflow.nodes):
            if node.id == node_id:
                return i
        raise KeyError(node_id)

    @staticmethod
    def _check_graph(workflow: Workflow) -> None:
        ids = [n.id for n in workflow.nodes]
        duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
        if duplicates:
            raise ValueError(f"duplicate node ids: {', '.join(duplicates)}")
        known = set(ids)
        for edge in workflow.edges:
            for ref in (edge.source, edge.target):
                if ref.node not in known:
                    raise ValueError(f"edge {edge.source} -> {edge.target}: no node {ref.node!r}")

    def __iter__(self) -> Iterator[Node]:
        return iter(list(self._workflow.nodes))
