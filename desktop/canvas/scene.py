"""The canvas scene: observes a WorkflowDocument and mirrors it as items; turns user
gestures (drag, connect, delete, drop) into undo commands on the stack."""

from __future__ import annotations

import logging

from PySide6.QtCore import QMimeData, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QTransform, QUndoStack
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsSceneMouseEvent

from desktop.canvas.annotation_item import AnnotationItem
from desktop.canvas.clipboard import PASTE_OFFSET, copy_mime, plan_paste, read_mime
from desktop.canvas.commands import (
    AddEdgeCommand,
    AddNodeCommand,
    DeleteCommand,
    PasteCommand,
    RenameNodeCommand,
)
from desktop.canvas.connecting import ConnectionDrag, Connector
from desktop.canvas.edge_item import EdgeItem
from desktop.canvas.moving import MoveTracker
from desktop.canvas.node_item import NodeItem
from desktop.canvas.overview import OverviewLayer, set_drawn, switch_detail
from desktop.canvas.port_item import PortItem
from desktop.canvas.ports import make_edge, ports_of, refusal
from desktop.canvas.starters import input_declaration, new_node
from engine.nodes.base import NodeRegistry
from engine.workflow.annotations import Annotation
from engine.workflow.document import (
    AnnotationAdded,
    AnnotationChanged,
    AnnotationRemoved,
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
Point = tuple[float, float]


def edge_key(edge: Edge) -> EdgeKey:
    return (edge.source.node, edge.source.port, edge.target.node, edge.target.port)


class WorkflowScene(QGraphicsScene):
    """Items mirror the document; edits go through `undo_stack` only."""

    hint = Signal(str)
    """A short message for the status bar (refused connections and the like)."""
    rename_requested = Signal(str)
    """A node's title was double-clicked: the view opens an in-place editor."""
    edit_requested = Signal(str)
    """A frame title or note was double-clicked: the view opens an in-place editor."""
    wire_dropped = Signal(object, QPointF)
    """A new wire (LooseWire) was let go over empty canvas at a scene point: the view
    offers the node kinds that could take it."""

    def __init__(
        self, document: WorkflowDocument, registry: NodeRegistry, undo_stack: QUndoStack
    ) -> None:
        super().__init__()
        self.document = document
        self.registry = registry
        self.undo_stack = undo_stack
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[EdgeKey, EdgeItem] = {}
        self.annotation_items: dict[str, AnnotationItem] = {}
        self.connector = Connector(self)
        self.detailed = True
        self.moves = MoveTracker(self)
        self._graveyard: list[QGraphicsItem] = []
        self.overview = OverviewLayer()
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
                self._bury(item)
        elif isinstance(change, NodeMoved):
            item = self.node_items[change.node_id]
            item.setPos(change.x, change.y)
        elif isinstance(change, NodeChanged):
            self._update_node_item(change.node)
        elif isinstance(change, EdgeAdded):
            self._add_edge_item(change.edge)
        elif isinstance(change, EdgeRemoved):
            self._remove_edge_item(change.edge)
        elif isinstance(change, AnnotationAdded):
            self._add_annotation_item(change.annotation)
        elif isinstance(change, AnnotationRemoved):
            gone = self.annotation_items.pop(change.annotation.id, None)
            if gone is not None:
                self._bury(gone)
        elif isinstance(change, AnnotationChanged):
            self.annotation_items[change.annotation.id].set_annotation(change.annotation)
        elif isinstance(change, DocumentReset):
            self._rebuild()

    def _rebuild(self) -> None:
        self.cancel_connection()
        if self.overview.scene() is self:  # survives clear(): it is the scene's, not the file's
            self.removeItem(self.overview)
        self.clear()
        self.addItem(self.overview)
        self.overview.deactivate()
        self.node_items.clear()
        self.edge_items.clear()
        self.annotation_items.clear()
        for annotation in self.document.annotations:
            self._add_annotation_item(annotation)
        for node in self.document.nodes:
            self._add_node_item(node)
        for edge in self.document.edges:
            self._add_edge_item(edge, refresh=False)
        self._refresh_ports(*self.node_items)
        if not self.detailed:
            self._overview_on()

    def _bury(self, item: QGraphicsItem) -> None:
        """Remove an item but keep it alive until the event loop turns: it may be the item
        whose mouse handler caused its own removal."""
        if isinstance(item, NodeItem):
            self.overview.forget_node(item)
        elif isinstance(item, EdgeItem):
            self.overview.forget_edge(item)
        self.removeItem(item)
        self._graveyard.append(item)
        if len(self._graveyard) == 1:
            QTimer.singleShot(0, self._graveyard.clear)

    def _add_annotation_item(self, annotation: Annotation) -> None:
        item = AnnotationItem(annotation)
        self.annotation_items[annotation.id] = item
        self.addItem(item)

    def _icon_name(self, node: Node) -> str:
        kind = self.registry.get(node.kind)
        return kind.icon if kind is not None else "node"

    def _add_node_item(self, node: Node) -> None:
        kind = self.registry.get(node.kind)
        item = NodeItem(node, self._icon_name(node), ports_of(node, kind))
        if not self.detailed:
            item.set_ports_visible(False)
            set_drawn(item, False)
        self.node_items[node.id] = item
        self.addItem(item)
        self.overview.touch_node(item)

    def _update_node_item(self, node: Node) -> None:
        item = self.node_items[node.id]
        item.set_node(node, self._icon_name(node), ports_of(node, self.registry.get(node.kind)))
        self._refresh_ports(node.id)

    def _add_edge_item(self, edge: Edge, refresh: bool = True) -> None:
        source = self.node_items[edge.source.node]
        target = self.node_items[edge.target.node]
        item = EdgeItem(edge, source, target)
        source.edges.add(item)
        target.edges.add(item)
        self.edge_items[edge_key(edge)] = item
        if not self.detailed:
            set_drawn(item, False)
        self.addItem(item)
        self.overview.touch_edge(item)
        if refresh:
            self._refresh_ports(edge.source.node, edge.target.node)

    def _remove_edge_item(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge_key(edge), None)
        if item is None:
            return
        item.source.edges.discard(item)
        item.target.edges.discard(item)
        self._bury(item)
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

    def selected_annotation_ids(self) -> list[str]:
        return [i.annotation_id for i in self.selectedItems() if isinstance(i, AnnotationItem)]

    def selection_summary(self) -> str:
        """What is selected, in words, for the inspector when it is not one node."""
        counts = [
            (len(self.selected_node_ids()), "node", "nodes"),
            (len(self.selected_edges()), "connection", "connections"),
            (len(self.selected_annotation_ids()), "note", "notes"),
        ]
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
        if not parts:
            return ""
        text = ", ".join(parts) + " selected."
        if counts[1][0] == len(self.selectedItems()) == 1:
            text += " Delete removes it; right-click it to add a reroute point."
        return text

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            item = self.node_items.get(node_id)
            if item is not None:
                item.setSelected(True)

    def select_all(self) -> None:
        for item in self.items():
            if isinstance(item, NodeItem | EdgeItem | AnnotationItem):
                item.setSelected(True)

    def nodes_rect(self, only_selected: bool = False) -> QRectF:
        """The scene rect around all nodes and annotations (or the selected ones)."""
        rect = QRectF()
        items: list[QGraphicsItem] = [*self.node_items.values(), *self.annotation_items.values()]
        for item in items:
            if not only_selected or item.isSelected():
                rect = rect.united(item.sceneBoundingRect())
        return rect

    # -- edits (each one undo command) ---------------------------------------------------

    def add_node_of_kind(self, kind_name: str, at: QPointF) -> Node:
        """Add a `kind_name` node centred on `at`, select it and return it."""
        node = new_node(self.document, self.registry, kind_name, at.x(), at.y())
        declare = input_declaration(self.document, node)
        self.undo_stack.push(AddNodeCommand(self.document, node, declare=declare))
        self.select_nodes([node.id])
        return node

    def delete_selection(self) -> bool:
        node_ids, edges = self.selected_node_ids(), self.selected_edges()
        notes = self.selected_annotation_ids()
        if not node_ids and not edges and not notes:
            return False
        self.undo_stack.push(DeleteCommand(self.document, node_ids, edges, notes))
        return True

    def rename_node(self, node_id: str, title: str) -> bool:
        title = title.strip()
        if not self.document.has_node(node_id) or title == self.document.node(node_id).title:
            return False
        self.undo_stack.push(RenameNodeCommand(self.document, node_id, title))
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

    # -- connecting by dragging from a port, or moving an edge's input end --------------

    @property
    def drag(self) -> ConnectionDrag | None:
        return self.connector.drag

    def begin_connection(self, port: PortItem) -> None:
        self.connector.begin(port)

    def begin_reconnect(self, port: PortItem) -> bool:
        """Pick up the input end of the edge into `port` (False if none is connected)."""
        return self.connector.begin_reconnect(port)

    def update_connection(self, pos: QPointF) -> None:
        self.connector.update(pos)

    def finish_connection(self, pos: QPointF) -> str | None:
        """End a drag at `pos`: connect (or move the edge end) to the port there, detach a
        picked-up edge on empty canvas, or say why not (also hinted)."""
        return self.connector.finish(pos)

    def cancel_connection(self) -> None:
        self.connector.cancel()

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
        self.moves.commit()

    def begin_moves(self) -> None:
        """What a mouse press records; for keyboard nudges and tests."""
        self.moves.begin()

    def resize_annotation(self, annotation_id: str, width: float, height: float) -> None:
        """A frame or note was resized by its handle: one undo step."""
        from desktop.canvas.arrange import resize_annotation

        resize_annotation(self, annotation_id, width, height)

    def annotation_moved(self, frame: AnnotationItem) -> None:
        """A frame moved by the mouse: its carried nodes follow."""
        self.moves.frame_moved(frame)

    # -- overlays: run states (coalesced) and problem badges ---------------------------

    def set_run_state(self, node_id: str, state: str | None) -> None:
        """Paint a node's run state now (the run overlay coalesces updates per frame)."""
        item = self.node_items.get(node_id)
        if item is not None:
            item.set_run_state(state)

    def set_detail(self, detailed: bool) -> None:
        """Zoomed in, items paint themselves; far out, the overview layer paints them all."""
        if detailed != self.detailed:
            self.detailed = detailed
            nodes, edges = [*self.node_items.values()], [*self.edge_items.values()]
            switch_detail(self.overview, nodes, edges, detailed)
            self.update()

    def restyle(self) -> None:
        """The theme changed: every item repaints (nodes keep a cached picture of
        themselves, which only `update()` on the item itself drops) and the overview's
        colours are rebuilt."""
        for item in self.items():
            item.update()
        if not self.detailed:
            self._overview_on()

    def _overview_on(self) -> None:
        self.overview.activate([*self.node_items.values()], [*self.edge_items.values()])

    def show_problems(self, by_node: dict[str, list[str]]) -> None:
        """Badge each node with its validation problems (nodes not named: none)."""
        for node_id, item in self.node_items.items():
            item.set_problems(by_node.get(node_id, []))
