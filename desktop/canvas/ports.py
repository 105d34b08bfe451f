"""Which ports a node shows and which connections the canvas accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import ValidationError

from engine.nodes.base import AnyKind, NodeRegistry, PortSpec
from engine.runtime.graph import node_ports
from engine.workflow.model import Edge, Node, PortRef, Workflow

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True, slots=True)
class NodePorts:
    inputs: list[PortSpec] = field(default_factory=list)
    outputs: list[PortSpec] = field(default_factory=list)
    config_ok: bool = True

    def input(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)


def ports_of(node: Node, kind: AnyKind | None) -> NodePorts:
    """The node's ports; with an invalid config, the ports its defaults would give."""
    if kind is None:
        return NodePorts(config_ok=False)
    try:
        inputs, outputs = node_ports(node, kind, kind.parse_config(node.config))
        return NodePorts(inputs, outputs)
    except (ValidationError, ValueError):
        pass
    try:  # lenient: fields that parse are kept, the rest fall back to defaults
        config = kind.config_model.model_construct(**node.config)
        inputs, outputs = node_ports(node, kind, config)
        return NodePorts(inputs, outputs, config_ok=False)
    except Exception:  # a half-built config may break a kind's port code in any way
        return NodePorts(config_ok=False)


def types_compatible(source: str, target: str) -> bool:
    """Same rule as `validate`: `any` matches all, integers flow into numbers."""
    if "any" in (source, target) or source == target:
        return True
    return source == "integer" and target == "number"


def refusal(
    workflow: Workflow,
    registry: NodeRegistry,
    source: PortRef,
    target: PortRef,
    ignore: Edge | None = None,
) -> str | None:
    """Why the edge `source -> target` may not be made (as if `ignore` were gone), or None."""
    import networkx as nx

    if source.node == target.node:
        return "a node cannot feed its own input"
    try:
        src_node, dst_node = workflow.node(source.node), workflow.node(target.node)
    except KeyError as exc:
        return f"no node {exc.args[0]!r}"
    out = ports_of(src_node, registry.get(src_node.kind)).output(source.port)
    inp = ports_of(dst_node, registry.get(dst_node.kind)).input(target.port)
    if out is None:
        return f"{source} is not an output port"
    if inp is None:
        return f"{target} is not an input port"
    if not types_compatible(out.type, inp.type):
        return f"type mismatch: {source} gives {out.type}, {target} takes {inp.type}"
    edges = [e for e in workflow.edges if e != ignore]
    for edge in edges:
        if edge.target == target:
            return f"input {target} is already connected (to {edge.source})"
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_edges_from((e.source.node, e.target.node) for e in edges)
    if (
        target.node in graph
        and source.node in graph
        and nx.has_path(graph, target.node, source.node)
    ):
        return f"{source} -> {target} would make a cycle"
    return None


def make_edge(source: PortRef, target: PortRef) -> Edge:
    return Edge(source=source.model_copy(), target=target.model_copy())
