"""A workflow compiled for execution: parsed configs, resolved ports and edge lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import WorkflowInvalid
from engine.nodes.base import AnyKind, JoinRule, NodeRegistry, PortSpec
from engine.workflow.model import Node, Workflow

ERROR_PORT = PortSpec("error", "object", "The error, when the node's on_error is `route`.")


def node_ports(node: Node, kind: AnyKind, config: Any) -> tuple[list[PortSpec], list[PortSpec]]:
    """Input and output ports of a node, including the `error` port of routed errors."""
    outputs = kind.output_ports(config)
    if node.policy.on_error == "route" and all(p.name != "error" for p in outputs):
        outputs = [*outputs, ERROR_PORT]
    return kind.input_ports(config), outputs


@dataclass(frozen=True, slots=True)
class InEdge:
    index: int
    source: str
    source_port: str
    port: str


@dataclass(frozen=True, slots=True)
class OutEdge:
    index: int
    port: str
    target: str
    target_port: str


@dataclass
class CompiledNode:
    node: Node
    kind: AnyKind
    config: Any
    outputs: list[str]
    join: JoinRule | None
    in_edges: list[InEdge] = field(default_factory=list)
    out_edges: list[OutEdge] = field(default_factory=list)


def compile_workflow(workflow: Workflow, registry: NodeRegistry) -> dict[str, CompiledNode]:
    """Compile nodes in file order. Raises WorkflowInvalid on unknown kinds or bad configs
    (run `validate` first for a full, located report)."""
    compiled: dict[str, CompiledNode] = {}
    for node in workflow.nodes:
        kind = registry.get(node.kind)
        if kind is None:
            raise WorkflowInvalid([_problem(f"unknown node kind {node.kind!r}")])
        try:
            config = kind.parse_config(node.config)
        except ValueError as exc:
            raise WorkflowInvalid([_problem(f"node {node.id!r}: {exc}")]) from None
        _, outputs = node_ports(node, kind, config)
        compiled[node.id] = CompiledNode(
            node, kind, config, [p.name for p in outputs], kind.join_rule(config)
        )
    for index, edge in enumerate(workflow.edges):
        src, dst = compiled.get(edge.source.node), compiled.get(edge.target.node)
        if src is None or dst is None:
            raise WorkflowInvalid([_problem(f"edge {edge.source} -> {edge.target}: missing node")])
        src.out_edges.append(OutEdge(index, edge.source.port, edge.target.node, edge.target.port))
        dst.in_edges.append(InEdge(index, edge.source.node, edge.source.port, edge.target.port))
    return compiled


def _problem(message: str) -> Any:
    from engine.errors import Problem

    return Problem(message)
