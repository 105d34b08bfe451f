"""A workflow file without positions opens laid out, not as a pile of nodes."""

from __future__ import annotations

from pathlib import Path

from desktop.main_window import MainWindow
from tests.engine.test_layout import UNPLACED


def test_an_unplaced_file_opens_laid_out_and_unchanged(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "u.interlock.yaml"
    path.write_text(UNPLACED, encoding="utf-8")
    window.open_path(path, ask=False)
    items = window.scene.node_items
    spots = {node_id: (item.pos().x(), item.pos().y()) for node_id, item in items.items()}
    assert len(spots) == 5 and len(set(spots.values())) == 5
    assert not window.document.dirty  # laying out is not an edit
    assert path.read_text(encoding="utf-8") == UNPLACED


def test_zoom_to_fit_shows_a_large_graph_whole(window: MainWindow, tmp_path: Path) -> None:
    lines = ["version: 1", "metadata: {name: Long}", "inputs: [{name: x}]", "nodes:"]
    lines.append("  - {id: x, kind: input, position: {x: 0, y: 0}}")
    edges = ["edges:"]
    previous = "x.value"
    for i in range(150):
        lines.append(
            f"  - {{id: t{i}, kind: template, position: {{x: {(i + 1) * 300}, y: {(i % 4) * 160}}},"
            " config: {template: '{{ in }}'}}"
        )
        edges.append(f"  - {{source: {previous}, target: t{i}.in}}")
        previous = f"t{i}.text"
    path = tmp_path / "long.interlock.yaml"
    path.write_text("\n".join(lines + edges) + "\n", encoding="utf-8")
    window.open_path(path, ask=False)
    window.view.zoom_fit()
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    items = window.scene.node_items.values()
    assert len(items) == 151 and all(visible.contains(i.sceneBoundingRect()) for i in items)
