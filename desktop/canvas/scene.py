"""The canvas scene: observes a WorkflowDocument and mirrors it as items; turns user
gestures (drag, connect, delete, drop) into undo commands on the stack."""

from __future__ import annotations

import logging

from PySide6.QtCore import QMimeData, QPointF, Signal
from PySide6.QtGui import QGuiApplication, QPen, QTransform, QUndoStack
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QGraphicsSceneMouseEvent

from desktop.canvas.clipboard import PASTE_OFFSET, copy_mime, plan_paste, read_mime
from desktop.canvas.commands import (
    AddEdgeCommand,
    AddNodeCommand,
    DeleteCommand,
    MoveNodesCommand,
    PasteCommand,
)
from desktop.canvas.edge_item import EdgeItem, curve
from desktop.canvas.node_item import NodeItem
from desktop.canvas.port_item import PortItem
from desktop.canvas.ports import make_edge, ports_of, refusal
from desktop.canvas.starters import new_node
from desktop.canvas.style import colors
from engine.nodes.base import NodeRegistry
from engine.workflow.document import (
    Change,
    DocumentReset,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    WorkflowDocument,
)
from engine.workflow.model import Edge, Node, PortRef

log = logging.getLogger(__name__)
EdgeKey = tuple[str, str, str, str]


def edge_key(edge: Edge) -> EdgeKey:
    return (edge.source.node, edge.source.port, edge.target.node, edge.target.port)


class WorkflowScene(QGraphicsScene):
    """Items mirror the document; edits go through `undo_stack` only."""

    hint = Signal(str)
    """A short message for the status bar (refused connections and the like)."""

    def __init__(
        self, document: WorkflowDocument, registry: NodeRegistry, undo_stack: QUndoStack
    ) -> None:
        super().__init__()
        self.document = document
        self.registry = registry
        self.undo_stack = undo_stack
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[EdgeKey, EdgeItem] = {}
        self._drag_from: PortItem | None = None
        self._preview: QGraphicsPathItem | None = None
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._unsubscribe = document.subscribe(self._on_change)
        self._rebuild()

    def detach(self) -> None:
        """Stop observing the document (before the scene is destroyed)."""
        self._unsubscribe()

    # -- mirroring the document ----------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if isinstance(change, NodeAdded):
            self._add_node_item(change.node)
        elif isinstance(change, NodeRemoved):
            item = self.node_items.pop(change.node.id, None)
            if item is not None:
                self.removeItem(item)
        elif isinstance(change, NodeMoved):
            item = self.node_items[change.node_id]
            item.setPos(change.x, change.y)
        elif isinstance(change, NodeChanged):
            self._update_node_item(change.node)
        elif isinstance(change, EdgeAdded):
            self._add_edge_item(change.edge)
        elif isinstance(change, EdgeRemoved):
            self._remove_edge_item(change.edge)
        elif isinstance(change, DocumentReset):
            self._rebuild()

    def _rebuild(self) -> None:
        self.cancel_connection()
        self.clear()
        self.node_items.clear()
        self.edge_items.clear()
        for node in self.document.nodes:
            self._add_node_item(node)
        for edge in self.document.edges:
            self._add_edge_item(edge)

    def _icon_name(self, node: Node) -> str:
        kind = self.registry.get(node.kind)
        return kind.icon if kind is not None else "node"

    def _add_node_item(self, node: Node) -> None:
        kind = self.registry.get(node.kind)
        item = NodeItem(node, self._icon_name(node), ports_of(node, kind))
        self.node_items[node.id] = item
        self.addItem(item)

    def _update_node_item(self, node: Node) -> None:
        item = self.node_items[node.id]
        item.set_node(node, self._icon_name(node), ports_of(node, self.registry.get(node.kind)))
        self._refresh_ports(node.id)

    def _add_edge_item(self, edge: Edge) -> None:
        source = self.node_items[edge.source.node]
        target = self.node_items[edge.target.node]
        item = EdgeItem(edge, source, target)
        source.edges.add(item)
        target.edges.add(item)
        self.edge_items[edge_key(edge)] = item
        self.addItem(item)
        self._refresh_ports(edge.source.node, edge.target.node)

    def _remove_edge_item(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge_key(edge), None)
        if item is None:
            return
        item.source.edges.discard(item)
        item.target.edges.discard(item)
        self.removeItem(item)
        self._refresh_ports(edge.source.node, edge.target.node)

    def _refresh_ports(self, *node_ids: str) -> None:
        for node_id in node_ids:
            item = self.node_items.get(node_id)
            if item is None:
                continue
            connected = {("out", e.edge.source.port) for e in item.edges if e.source is item}
            connected |= {("in", e.edge.target.port) for e in item.edges if e.target is item}
            item.refresh_connections(connected)

    # -- selection -----------------------------------------------------------------------

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            item = self.node_items.get(node_id)
            if item is not None:
                item.setSelected(True)

    def select_all(self) -> None:
        for item in [*self.node_items.values(), *self.edge_items.values()]:
            item.setSelected(True)

    # -- edits (each one undo command) ---------------------------------------------------

    def add_node_of_kind(self, kind_name: str, at: QPointF) -> Node:
        """Add a `kind_name` node centred on `at`, select it and return it."""
        node = new_node(self.document, self.registry, kind_name, at.x(), at.y())
        self.undo_stack.push(AddNodeCommand(self.document, node))
        self.select_nodes([node.id])
        return node

    def delete_selection(self) -> bool:
        node_ids, edges = self.selected_node_ids(), self.selected_edges()
        if not node_ids and not edges:
            return False
        self.undo_stack.push(DeleteCommand(self.document, node_ids, edges))
        return True

    def connect_ports(self, source: PortRef, target: PortRef) -> str | None:
        """Add the edge `source -> target`; returns why not (also hinted) if refused."""
        reason = refusal(self.document.workflow, self.registry, source, target)
        if reason is not None:
            self.hint.emit(f"Cannot connect: {reason}")
            return reason
        self.undo_stack.push(AddEdgeCommand(self.document, make_edge(source, target)))
        self.hint.emit(f"Connected {source} → {target}")
        return None

    def copy_selection(self) -> bool:
        data = copy_mime(self.document, self.selected_node_ids())
        if data is None:
            return False
        QGuiApplication.clipboard().setMimeData(data)
        return True

    def cut_selection(self) -> bool:
        return self.copy_selection() and self.delete_selection()

    def paste(self, data: QMimeData | None = None, label: str = "Paste") -> list[str]:
        """Paste copied nodes (default: from the clipboard), shifted; returns new ids."""
        payload = read_mime(data if data is not None else QGuiApplication.clipboard().mimeData())
        if payload is None:
            self.hint.emit("Nothing to paste: the clipboard holds no nodes")
            return []
        nodes, edges = plan_paste(self.document, payload, PASTE_OFFSET, PASTE_OFFSET)
        if not nodes:
            return []
        self.undo_stack.push(PasteCommand(self.document, nodes, edges, label))
        ids = [n.id for n in nodes]
        self.select_nodes(ids)
        return ids

    def duplicate_selection(self) -> list[str]:
        data = copy_mime(self.document, self.selected_node_ids())
        return self.paste(data, "Duplicate") if data is not None else []

    # -- connecting by dragging from a port ----------------------------------------------

    def begin_connection(self, port: PortItem) -> None:
        self.cancel_connection()
        self._drag_from = port
        self._preview = QGraphicsPathItem()
        pen = QPen(colors().selection, 2.0)
        self._preview.setPen(pen)
        self._preview.setZValue(10)
        self.addItem(self._preview)
        self.update_connection(port.scenePos())

    def update_connection(self, pos: QPointF) -> None:
        if self._drag_from is None or self._preview is None:
            return
        start = self._drag_from.scenePos()
        path = curve(start, pos) if self._drag_from.direction == "out" else curve(pos, start)
        self._preview.setPath(path)

    def finish_connection(self, pos: QPointF) -> str | None:
        """End a port drag at `pos`: connects to the port there, or says why not."""
        start = self._drag_from
        self.cancel_connection()
        if start is None:
            return None
        target = self.port_at(pos)
        if target is None:
            return None
        if target.direction == start.direction:
            reason = "connect an output port to an input port"
            self.hint.emit(f"Cannot connect: {reason}")
            return reason
        source, sink = (start, target) if start.direction == "out" else (target, start)
        return self.connect_ports(source.ref, sink.ref)

    def cancel_connection(self) -> None:
        if self._preview is not None:
            self.removeItem(self._preview)
        self._preview = None
        self._drag_from = None

    def port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos, deviceTransform=QTransform()):
            if isinstance(item, PortItem):
                return item
        return None

    # -- moving: one undo step per drag, however many nodes ------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mousePressEvent(event)
        self.begin_moves()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def commit_moves(self) -> None:
        """Turn item positions changed since the press into one MoveNodesCommand."""
        moves = {}
        for node_id, old in self._press_positions.items():
            item = self.node_items.get(node_id)
            if item is None:
                continue
            new = (item.pos().x(), item.pos().y())
            if new != old:
                moves[node_id] = (old, new)
        self._press_positions = {}
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.document, moves))

    def begin_moves(self) -> None:
        """What a mouse press records; for keyboard nudges and tests."""
        self._press_positions = {
            i.node_id: (i.pos().x(), i.pos().y())
            for i in self.selectedItems()
            if isinstance(i, NodeItem)
        }

    # -- run state overlay ---------------------------------------------------------------

    def set_run_state(self, node_id: str, state: str | None) -> None:
        item = self.node_items.get(node_id)
        if item is not None:
            item.set_run_state(state)

    def clear_run_states(self) -> None:
        for item in self.node_items.values():
            item.set_run_state(None)
