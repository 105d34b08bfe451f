"""Auto-layout: columns from the graph's topological layers (networkx), rows ordered to
follow their upstream nodes so edges cross less. Pure geometry, no Qt."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx


COLUMN_GAP = 90.0
ROW_GAP = 40.0

Point = tuple[float, float]


def layered_positions(
    node_ids: Iterable[str],
    edges: Iterable[tuple[str, str]],
    sizes: Mapping[str, tuple[float, float]],
    origin: Point = (0.0, 0.0),
) -> dict[str, Point]:
    """Top-left positions: layer k in column k, each column centred on the tallest one.
    Cycles (invalid, but possible while editing) collapse into one layer."""
    import networkx as nx

    graph: nx.DiGraph = nx.DiGraph()
    order = list(node_ids)
    graph.add_nodes_from(order)
    graph.add_edges_from((a, b) for a, b in edges if a in graph and b in graph and a != b)
    condensed = nx.condensation(graph)
    rank = {n: i for i, n in enumerate(order)}
    layers: list[list[str]] = []
    for generation in nx.topological_generations(condensed):
        layer = [
            n for c in generation for n in sorted(_members(condensed, c), key=lambda n: rank[n])
        ]
        layers.append(layer)
    width = max((w for w, _ in sizes.values()), default=200.0)
    y_of: dict[str, float] = {}
    columns: list[list[tuple[str, float]]] = []
    for layer in layers:

        def weight(n: str) -> float:
            ups = [y_of[p] for p in graph.predecessors(n) if p in y_of]
            return sum(ups) / len(ups) if ups else float(rank[n])

        ordered = sorted(layer, key=lambda n: (weight(n), rank[n])) if y_of else layer
        y = 0.0
        column = []
        for n in ordered:
            column.append((n, y))
            y_of[n] = y
            y += sizes.get(n, (width, 80.0))[1] + ROW_GAP
        columns.append(column)
    heights = [_height(c, sizes) for c in columns]
    tallest = max(heights, default=0.0)
    positions: dict[str, Point] = {}
    for k, (column, height) in enumerate(zip(columns, heights, strict=True)):
        x = origin[0] + k * (width + COLUMN_GAP)
        shift = origin[1] + (tallest - height) / 2
        for n, y in column:
            positions[n] = (round(x), round(y + shift))
    return positions


def _members(condensed: nx.DiGraph, component: int) -> list[str]:
    return list(condensed.nodes[component]["members"])


def _height(column: list[tuple[str, float]], sizes: Mapping[str, tuple[float, float]]) -> float:
    if not column:
        return 0.0
    last, y = column[-1]
    return y + sizes.get(last, (0.0, 80.0))[1]
