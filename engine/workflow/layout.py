"""Positions for workflows written without them (by hand, or by another tool): nodes are
placed left to right by their depth in the graph, so a file opens as a readable canvas."""

from __future__ import annotations

import networkx as nx

from engine.workflow.model import Position, Workflow

COLUMN = 300.0
ROW = 170.0


def needs_layout(workflow: Workflow) -> bool:
    """Several nodes and all at one spot: the file gave no positions."""
    spots = {(n.position.x, n.position.y) for n in workflow.nodes}
    return len(workflow.nodes) > 1 and len(spots) == 1


def lay_out(workflow: Workflow) -> None:
    """Place every node: a column per depth (longest path from a source), in file order
    within a column. Changes the workflow's node positions in place."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in workflow.nodes)
    graph.add_edges_from((e.source.node, e.target.node) for e in workflow.edges)
    depth: dict[str, int] = {}
    order = list(nx.topological_sort(graph)) if nx.is_directed_acyclic_graph(graph) else []
    for node_id in order:
        depth[node_id] = max((depth[p] + 1 for p in graph.predecessors(node_id)), default=0)
    rows: dict[int, int] = {}
    for node in workflow.nodes:
        column = depth.get(node.id, 0)
        row = rows.get(column, 0)
        rows[column] = row + 1
        node.position = Position(x=column * COLUMN, y=row * ROW)
