"""A wire dropped on the empty canvas: which node kinds could take it (a port of the other
direction and a compatible type, as connecting checks), and adding one of them already
connected to it, as one undo step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF

from desktop.canvas.commands import AddEdgeCommand, AddNodeCommand
from desktop.canvas.ports import make_edge, ports_of, types_compatible
from desktop.canvas.starters import input_declaration, new_node
from desktop.canvas.style import HEADER_HEIGHT, NODE_WIDTH, PORT_ROW
from engine.nodes.base import NodeRegistry, PortSpec
from engine.workflow.document import WorkflowDocument
from engine.workflow.model import Node, PortRef, Position

if TYPE_CHECKING:
    from desktop.canvas.scene import WorkflowScene


@dataclass(frozen=True)
class LooseWire:
    """The fixed end of a wire let go over empty canvas."""

    ref: PortRef
    direction: str
    """"out" when dragged from an output (the new node needs an input), else "in"."""
    type: str


def matching_port(wire: LooseWire, node: Node, registry: NodeRegistry) -> PortSpec | None:
    """The first port of `node` that `wire` could connect to."""
    found = _matching_row(wire, node, registry)
    return found[1] if found is not None else None


def _matching_row(
    wire: LooseWire, node: Node, registry: NodeRegistry
) -> tuple[int, PortSpec] | None:
    ports = ports_of(node, registry.get(node.kind))
    if wire.direction == "out":
        rows = [(i, p) for i, p in enumerate(ports.inputs) if types_compatible(wire.type, p.type)]
    else:
        rows = [(i, p) for i, p in enumerate(ports.outputs) if types_compatible(p.type, wire.type)]
    return rows[0] if rows else None


def compatible_kinds(
    wire: LooseWire, document: WorkflowDocument, registry: NodeRegistry
) -> list[str]:
    """Kinds whose new node (starter config) has a port `wire` may connect to."""
    return [
        kind.name
        for kind in registry.kinds()
        if matching_port(wire, new_node(document, registry, kind.name, 0, 0), registry)
    ]


def add_connected_node(
    scene: WorkflowScene, wire: LooseWire, kind_name: str, at: QPointF
) -> Node | None:
    """Add a `kind_name` node wired to `wire`, the port it uses at `at`; one undo step.
    None when the kind has no port for the wire."""
    document, registry = scene.document, scene.registry
    node = new_node(document, registry, kind_name, at.x(), at.y())
    found = _matching_row(wire, node, registry)
    if found is None:
        return None
    row, port = found
    # The port the wire reaches lands where the wire was let go (rows as NodeItem lays out).
    x = at.x() if wire.direction == "out" else at.x() - NODE_WIDTH
    y = at.y() - (HEADER_HEIGHT + 4 + PORT_ROW * (row + 0.5))
    node.position = Position(x=round(x), y=round(y))
    new_ref = PortRef(node=node.id, port=port.name)
    source, target = (wire.ref, new_ref) if wire.direction == "out" else (new_ref, wire.ref)
    stack = scene.undo_stack
    stack.beginMacro(f"Add {node.title or node.id} connected to {wire.ref}")
    stack.push(AddNodeCommand(document, node, declare=input_declaration(document, node)))
    stack.push(AddEdgeCommand(document, make_edge(source, target)))
    stack.endMacro()
    scene.select_nodes([node.id])
    scene.hint.emit(f"Added {node.id}, connected {source} → {target}")
    return node
