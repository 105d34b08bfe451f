"""One connection being dragged: a new edge from a port (let go on empty canvas, it offers
a node to add), or an existing edge's input end picked up to move it to another input or
drop it on the canvas (detach)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from desktop.canvas.commands import DeleteCommand, ReconnectEdgeCommand
from desktop.canvas.edge_item import EdgeItem, curve
from desktop.canvas.node_item import NodeItem
from desktop.canvas.port_item import PortItem
from desktop.canvas.ports import make_edge, refusal, types_compatible
from desktop.canvas.style import colors
from desktop.canvas.wire_add import LooseWire
from engine.workflow.model import Edge

if TYPE_CHECKING:
    import networkx as nx

if TYPE_CHECKING:
    from desktop.canvas.scene import WorkflowScene


class ConnectionDrag:
    """`anchor` is the fixed end; `detached` the edge whose input end follows the mouse."""

    def __init__(
        self, scene: WorkflowScene, anchor: PortItem, detached: EdgeItem | None = None
    ) -> None:
        self.scene = scene
        self.anchor = anchor
        self.detached = detached
        self.preview = QGraphicsPathItem()
        pen = QPen(colors().selection, 2.0)
        if detached is not None:
            pen.setStyle(Qt.PenStyle.DashLine)
            detached.setOpacity(0.25)  # a ghost of the edge; hiding it would drop the grab
        self.preview.setPen(pen)
        self.preview.setZValue(10)
        scene.addItem(self.preview)
        self.marked: list[PortItem] = []
        self._mark_ports()
        self.update(anchor.scenePos())

    @property
    def old_edge(self) -> Edge | None:
        return self.detached.edge if self.detached is not None else None

    def update(self, pos: QPointF) -> None:
        start = self.anchor.scenePos()
        path = curve(start, pos) if self.anchor.direction == "out" else curve(pos, start)
        self.preview.setPath(path)

    def end(self) -> None:
        """Remove the preview and the port marks; show the detached edge again."""
        for port in self.marked:
            port.set_drop_state(None)
        self.marked = []
        if self.preview.scene() is not None:
            self.scene.removeItem(self.preview)
        if self.detached is not None:
            self.detached.setOpacity(1.0)

    def accepts(self, port: PortItem) -> bool:
        return port.drop_state == "ok"

    # -- which ports this drag may end on ---------------------------------------------

    def _mark_ports(self) -> None:
        import networkx as nx

        anchor, document = self.anchor, self.scene.document
        old = self.old_edge
        edges = [e for e in document.edges if e != old]
        graph: nx.DiGraph = nx.DiGraph()
        graph.add_edges_from((e.source.node, e.target.node) for e in edges)
        if anchor.node_id in graph:
            near = (nx.ancestors if anchor.direction == "out" else nx.descendants)(
                graph, anchor.node_id
            )
        else:
            near = set()
        occupied = {(e.target.node, e.target.port) for e in edges}
        anchor_type = anchor.spec.type
        for item in self.scene.node_items.values():
            cyclic = item.node_id == anchor.node_id or item.node_id in near
            for port in [*item.inputs.values(), *item.outputs.values()]:
                if port is anchor:
                    continue
                if port.direction == anchor.direction or cyclic:
                    ok = False
                elif port.direction == "in":
                    ok = (port.node_id, port.name) not in occupied and types_compatible(
                        anchor_type, port.spec.type
                    )
                else:
                    ok = types_compatible(port.spec.type, anchor_type)
                port.set_drop_state("ok" if ok else "no")
                self.marked.append(port)


class Connector:
    """The scene's connection gestures: at most one ConnectionDrag at a time."""

    def __init__(self, scene: WorkflowScene) -> None:
        self.scene = scene
        self.drag: ConnectionDrag | None = None

    def begin(self, port: PortItem) -> None:
        self.cancel()
        self.drag = ConnectionDrag(self.scene, port)

    def begin_reconnect(self, port: PortItem) -> bool:
        scene = self.scene
        edge = next((e for e in scene.document.edges if e.target == port.ref), None)
        if edge is None:
            return False
        item = scene.edge_items.get(
            (edge.source.node, edge.source.port, edge.target.node, edge.target.port)
        )
        source = scene.node_items[edge.source.node].port(edge.source.port, "out")
        if item is None or source is None:
            return False
        self.cancel()
        self.drag = ConnectionDrag(scene, source, item)
        return True

    def update(self, pos: QPointF) -> None:
        if self.drag is not None:
            self.drag.update(pos)

    def cancel(self) -> None:
        if self.drag is not None:
            self.drag.end()
        self.drag = None

    def finish(self, pos: QPointF) -> str | None:
        drag = self.drag
        self.cancel()
        if drag is None:
            return None
        target = self.scene.port_at(pos)
        old = drag.old_edge
        if old is not None:
            return self._finish_reconnect(old, target)
        if target is None:
            if not any(isinstance(i, NodeItem) for i in self.scene.items(pos)):
                start = drag.anchor
                wire = LooseWire(start.ref, start.direction, start.spec.type)
                self.scene.wire_dropped.emit(wire, pos)
            return None
        start = drag.anchor
        if target.direction == start.direction:
            return self._refuse("connect an output port to an input port")
        source, sink = (start, target) if start.direction == "out" else (target, start)
        return self.scene.connect_ports(source.ref, sink.ref)

    def _refuse(self, reason: str) -> str:
        self.scene.hint.emit(f"Cannot connect: {reason}")
        return reason

    def _finish_reconnect(self, old: Edge, target: PortItem | None) -> str | None:
        scene = self.scene
        if target is None:
            command = DeleteCommand(scene.document, [], [old])
            command.setText(f"Detach {old.source} from {old.target}")
            scene.undo_stack.push(command)
            scene.hint.emit(f"Detached {old.source} → {old.target}")
            return None
        if target.ref == old.target:
            return None
        if target.direction != "in":
            return self._refuse("connect an output port to an input port")
        reason = refusal(scene.document.workflow, scene.registry, old.source, target.ref, old)
        if reason is not None:
            return self._refuse(reason)
        new = make_edge(old.source, target.ref)
        scene.undo_stack.push(ReconnectEdgeCommand(scene.document, old, new))
        scene.hint.emit(f"Connected {old.source} → {target.ref}")
        return None
