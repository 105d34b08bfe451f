"""Collapsed nodes: Alt+C (or a node's right-click Collapse) shows a node as its header
only, its edges meeting at its sides; one undo step; saved in the file as ui.collapsed
and kept through a save that preserves the file's own text."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.canvas.style import HEADER_HEIGHT, NODE_WIDTH
from desktop.canvas.view import WorkflowView
from desktop.main_window import MainWindow
from engine.workflow.loader import dumps_workflow, loads_workflow
from tests.desktop.canvas_helpers import at
from tests.desktop.conftest import chain_workflow

Left = Qt.MouseButton.LeftButton


def _edge_ends(view: WorkflowView, node_id: str) -> list[QPointF]:
    """The ends of the edges that touch `node_id`, as drawn."""
    ends = []
    for item in view.workflow_scene.edge_items.values():
        path = item.path()
        if item.edge.target.node == node_id:
            ends.append(item.mapToScene(path.pointAtPercent(1.0)))
        if item.edge.source.node == node_id:
            ends.append(item.mapToScene(path.pointAtPercent(0.0)))
    return ends


def test_alt_c_collapses_the_selected_node_and_undo_expands_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    window._load(chain_workflow(), None)
    canvas, document, undo_stack = window.view, window.document, window.undo_stack
    canvas.set_zoom(1.0)  # text and ports shown
    canvas.centerOn(QPointF(300, 100))
    item = canvas.workflow_scene.node_items["b"]
    tall = item.boundingRect().height()
    assert all(p.isVisible() for p in [*item.inputs.values(), *item.outputs.values()])
    QTest.mouseClick(
        canvas.viewport(),
        Left,
        Qt.KeyboardModifier.NoModifier,
        at(canvas, item.scenePos() + QPointF(60, 12)),
    )
    assert canvas.workflow_scene.selected_node_ids() == ["b"]
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert document.node("b").ui.collapsed
    assert undo_stack.count() == 1
    item = canvas.workflow_scene.node_items["b"]
    assert item.boundingRect().height() < tall
    assert not any(p.isVisible() for p in [*item.inputs.values(), *item.outputs.values()])
    left, right = (
        item.scenePos() + QPointF(0, HEADER_HEIGHT / 2),
        item.scenePos() + QPointF(NODE_WIDTH, HEADER_HEIGHT / 2),
    )
    ends = _edge_ends(canvas, "b")
    assert len(ends) == 2 and {(round(p.x()), round(p.y())) for p in ends} == {
        (round(left.x()), round(left.y())),
        (round(right.x()), round(right.y())),
    }
    assert "collapsed: true" in dumps_workflow(document.workflow)
    undo_stack.undo()
    assert not document.node("b").ui.collapsed
    item = canvas.workflow_scene.node_items["b"]
    assert item.boundingRect().height() == tall
    assert all(p.isVisible() for p in item.inputs.values())
    assert "ui:" not in dumps_workflow(document.workflow)  # the default is not written


def test_collapsed_is_saved_and_reopened(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "chain.interlock.yaml"
    path.write_text("# my chain\n" + dumps_workflow(chain_workflow()), encoding="utf-8")
    window.open_path(path)
    window.scene.select_nodes(["a", "b"])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert window.undo_stack.count() == 1
    assert window.save()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my chain\n")  # the file's own text kept
    loaded = loads_workflow(text).workflow
    assert [n.ui.collapsed for n in loaded.nodes] == [True, True, False]
    window.open_path(path)
    assert window.scene.node_items["a"].collapsed and not window.scene.node_items["out"].collapsed
    # Alt+C on a selection that is all collapsed expands it.
    window.scene.select_nodes(["a"])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert not window.document.node("a").ui.collapsed and window.document.node("b").ui.collapsed
