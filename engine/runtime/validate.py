"""Graph-level validation of a loaded workflow with networkx: ids, kinds, configs, ports,
edges, types, cycles, output names, retry classes, workflow files that include themselves
and unused nodes. Every problem points at a YAML location."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import RETRY_CLASSES, Problem
from engine.nodes.base import AnyKind, JoinRule, NodeRegistry, PortSpec, config_errors
from engine.nodes.prompt_ports import prompt_port_problems
from engine.runtime.graph import node_ports
from engine.sandbox import sandbox_scope
from engine.workflow.includes import IncludeGraph, included_files
from engine.workflow.loader import Locations
from engine.workflow.model import Workflow

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _compatible(source: str, target: str) -> bool:
    if "any" in (source, target) or source == target:
        return True
    return source == "integer" and target == "number"


@dataclass(frozen=True, slots=True)
class NodePorts:
    kind: AnyKind
    inputs: dict[str, PortSpec]
    outputs: dict[str, PortSpec]
    join: JoinRule | None


def resolve_ports(workflow: Workflow, registry: NodeRegistry) -> dict[str, NodePorts]:
    """Ports of every node whose kind and config are valid (first of duplicate ids)."""
    ports: dict[str, NodePorts] = {}
    for node in workflow.nodes:
        kind = registry.get(node.kind)
        if node.id in ports or kind is None or config_errors(kind, node.config):
            continue
        config = kind.parse_config(node.config)
        inputs, outputs = node_ports(node, kind, config)
        ports[node.id] = NodePorts(
            kind,
            {p.name: p for p in inputs},
            {p.name: p for p in outputs},
            kind.join_rule(config),
        )
    return ports


def validate(
    workflow: Workflow,
    registry: NodeRegistry,
    locations: Locations | None = None,
    base_dir: Path | None = None,
    *,
    file: Path | None = None,
) -> Report:
    """Every problem of `workflow`. `base_dir` resolves the workflow files it runs; `file`,
    the workflow's own file, lets a chain of those files that comes back to it be reported."""
    import networkx as nx

    loc = locations or Locations()
    report = Report()
    error = report.errors.append
    templates = workflow.policy.templates

    seen: dict[str, int] = {}
    for i, node in enumerate(workflow.nodes):
        if node.id in seen:
            error(loc.problem(("nodes", i, "id"), f"duplicate node id {node.id!r}"))
        seen.setdefault(node.id, i)
        kind = registry.get(node.kind)
        if kind is None:
            known = ", ".join(registry.names())
            error(
                loc.problem(
                    ("nodes", i, "kind"), f"unknown node kind {node.kind!r} (known: {known})"
                )
            )
            continue
        problems = config_errors(kind, node.config)
        for path, message in problems:
            error(loc.problem(("nodes", i, "config", *path), f"node {node.id!r}: {message}"))
        if not problems:
            parsed = kind.parse_config(node.config)
            # Templates are checked against the workflow's own limits.
            with sandbox_scope(max_chars=templates.max_chars, max_seconds=templates.max_seconds):
                checks = [
                    *kind.check(parsed, base_dir),
                    *kind.check_nested(parsed, registry, base_dir),
                ]
            for found in checks:
                inside, message = found if isinstance(found, tuple) else ((), found)
                error(loc.problem(("nodes", i, "config", *inside), f"node {node.id!r}: {message}"))
        for k, name in enumerate(node.policy.retry.retry_on):
            if name not in RETRY_CLASSES:
                error(
                    loc.problem(
                        ("nodes", i, "policy", "retry", "retry_on", k),
                        f"node {node.id!r}: retry_on {name!r} is not an error class "
                        f"(known: {', '.join(RETRY_CLASSES)})",
                    )
                )
        if node.kind == "input":
            name = node.config.get("name") or node.id
            if workflow.input_decl(name) is None:
                error(
                    loc.problem(
                        ("nodes", i), f"input node {node.id!r} reads undeclared input {name!r}"
                    )
                )
    report.errors.extend(_output_name_problems(workflow, loc))
    report.errors.extend(_include_problems(workflow, loc, base_dir, file))
    for message in _policy_problems(workflow):
        where = message.split(":", 1)[0]
        keys = tuple(part for part in where.split(".") if part)
        error(loc.problem(keys if keys and keys[0] == "policy" else ("policy",), message))
    names = [d.name for d in workflow.inputs]
    for j, name in enumerate(names):
        if names.index(name) != j:
            error(loc.problem(("inputs", j, "name"), f"duplicate input {name!r}"))

    ports = resolve_ports(workflow, registry)
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(seen)
    fed: dict[tuple[str, str], int] = {}
    for j, edge in enumerate(workflow.edges):
        src, dst = edge.source, edge.target
        ok = True
        for end, ref, direction in (("source", src, "outputs"), ("target", dst, "inputs")):
            if ref.node not in seen:
                error(loc.problem(("edges", j, end), f"edge {src} -> {dst}: no node {ref.node!r}"))
                ok = False
            elif ref.node in ports:
                available = getattr(ports[ref.node], direction)
                if ref.port not in available:
                    names_ = ", ".join(available) or "none"
                    error(
                        loc.problem(
                            ("edges", j, end),
                            f"edge {src} -> {dst}: node {ref.node!r} has no {direction[:-1]} "
                            f"port {ref.port!r} (has: {names_})",
                        )
                    )
                    ok = False
        if not ok:
            continue
        if (dst.node, dst.port) in fed:
            error(loc.problem(("edges", j, "target"), f"input port {dst} already has an edge"))
        fed[(dst.node, dst.port)] = j
        graph.add_edge(src.node, dst.node)
        if src.node in ports and dst.node in ports:
            s_type = ports[src.node].outputs[src.port].type
            t_type = ports[dst.node].inputs[dst.port].type
            if not _compatible(s_type, t_type):
                error(
                    loc.problem(
                        ("edges", j),
                        f"edge {src} -> {dst}: type mismatch ({s_type} into {t_type})",
                    )
                )

    for node_id, resolved in ports.items():
        i = seen[node_id]
        for port in resolved.inputs:
            if (node_id, port) not in fed and resolved.join is None:
                error(
                    loc.problem(
                        ("nodes", i), f"node {node_id!r}: input port {port!r} is not connected"
                    )
                )

    for cycle in _cycles(graph):
        chain = " -> ".join([*cycle, cycle[0]])
        error(loc.problem(("nodes", seen[cycle[0]]), f"cycle: {chain}"))
        for node_id in cycle[1:]:  # every node of the cycle at its own line
            error(loc.problem(("nodes", seen[node_id]), f"cycle: {chain} (node {node_id!r})"))

    outputs = [n.id for n in workflow.nodes if n.kind == "output"]
    if outputs and not report.errors:
        reaches_output = set(outputs)
        for out in outputs:
            reaches_output |= nx.ancestors(graph, out)
        for node in workflow.nodes:
            if node.id not in reaches_output:
                report.warnings.append(
                    loc.problem(
                        ("nodes", seen[node.id]),
                        f"node {node.id!r} is unreachable from every output: its result is unused",
                    )
                )
    report.warnings.extend(
        loc.problem(*found) for found in prompt_port_problems(workflow, registry)
    )
    return report


def _output_name_problems(workflow: Workflow, loc: Locations) -> list[Problem]:
    """Two output nodes publishing one name: the later value would replace the earlier."""
    problems: list[Problem] = []
    publisher: dict[str, str] = {}
    for i, node in enumerate(workflow.nodes):
        if node.kind != "output":
            continue
        named = node.config.get("name")
        name = named if isinstance(named, str) and named else node.id
        if name in publisher:
            where = ("nodes", i, "config", "name") if named else ("nodes", i, "id")
            problems.append(
                loc.problem(
                    where,
                    f"output node {node.id!r} publishes {name!r}, "
                    f"which node {publisher[name]!r} already publishes",
                )
            )
        publisher.setdefault(name, node.id)
    return problems


def _include_problems(
    workflow: Workflow, loc: Locations, base_dir: Path | None, file: Path | None
) -> list[Problem]:
    """A subworkflow or map whose workflow file comes back to a file on its own chain."""
    graph = IncludeGraph(file)
    problems: list[Problem] = []
    for i, child in included_files(workflow, base_dir):
        if not child.is_file():
            continue  # the node's check says the file is missing
        chain = graph.cycle_from(child)
        if chain is not None:
            node = workflow.nodes[i]
            problems.append(
                loc.problem(
                    ("nodes", i, "config", "workflow"),
                    f"node {node.id!r}: workflow files include each other: "
                    f"{graph.describe(chain, base_dir)}",
                )
            )
    return problems


def _policy_problems(workflow: Workflow) -> list[str]:
    """Tool grants, scopes and approval rules (see engine.tools.policy)."""
    from engine.nodes.toolbox import builtin_tools
    from engine.tools.policy import check_policy

    return check_policy(workflow.policy, builtin_tools())


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    import networkx as nx

    cycles: list[list[str]] = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            cycles.append(nx.find_cycle(graph.subgraph(component), orientation="original"))
    return [[edge[0] for edge in cycle] for cycle in cycles]
