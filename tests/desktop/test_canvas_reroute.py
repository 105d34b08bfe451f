"""Reroute points on edges, with real mouse events: a double-click on an edge adds one,
dragging it is one undo step, the wire runs through it (zoomed out too), and a save and
reopen keeps it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLineF, QPoint, QPointF
from PySide6.QtGui import QColor, QUndoStack
from pytestqt.qtbot import QtBot

from desktop.canvas.commands import SetEdgeViaCommand
from desktop.canvas.edge_item import EdgeItem
from desktop.canvas.view import WorkflowView
from desktop.main_window import MainWindow
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import dumps_workflow, loads_workflow
from tests.desktop.canvas_helpers import at, double_click, drag
from tests.desktop.conftest import chain_workflow
from tests.desktop.test_canvas_overview import ORIGIN, ZOOM, _render

KEY = ("b", "text", "out", "value")


def _edge(window: MainWindow) -> EdgeItem:
    return window.scene.edge_items[KEY]


def _passes_through(item: EdgeItem, point: QPointF) -> bool:
    path = item.path()
    return any(
        QLineF(item.mapToScene(path.pointAtPercent(i / 400)), point).length() < 1.5
        for i in range(401)
    )


def _window(window: MainWindow) -> MainWindow:
    window._load(chain_workflow(), None)
    window.view.resetTransform()
    window.view.centerOn(QPointF(450, 100))
    return window


def test_double_click_adds_a_point_and_dragging_it_is_one_undo_step(
    qtbot: QtBot, window: MainWindow
) -> None:
    _window(window)
    document, undo_stack, view = window.document, window.undo_stack, window.view
    middle = _edge(window).mapToScene(_edge(window).path().pointAtPercent(0.5))
    double_click(view, at(view, middle))
    via = document.edges[1].ui.via
    assert len(via) == 1 and QLineF(QPointF(via[0].x, via[0].y), middle).length() < 2
    assert undo_stack.count() == 1
    handle = _edge(window).handles[0]
    assert handle.isVisible()

    start = at(view, handle.scenePos())
    drag(view, start, start + QPoint(40, 120))
    assert undo_stack.count() == 2
    moved = document.edges[1].ui.via[0]
    target = view.mapToScene(start + QPoint(40, 120))
    assert QLineF(QPointF(moved.x, moved.y), target).length() < 2
    assert _passes_through(_edge(window), QPointF(moved.x, moved.y))
    assert _edge(window).handles[0].scenePos() == QPointF(moved.x, moved.y)
    assert [e.ui.via == [] for e in document.edges] == [True, False]  # the other untouched

    undo_stack.undo()
    back = document.edges[1].ui.via[0]
    assert (back.x, back.y) == (via[0].x, via[0].y)
    assert _passes_through(_edge(window), QPointF(back.x, back.y))
    undo_stack.undo()
    assert document.edges[1].ui.via == [] and _edge(window).handles == []


def test_a_second_point_goes_in_order_and_save_and_reopen_keep_them(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    _window(window)
    view = window.view
    first = _edge(window).mapToScene(_edge(window).path().pointAtPercent(0.25))
    later = _edge(window).mapToScene(_edge(window).path().pointAtPercent(0.75))
    double_click(view, at(view, later))
    double_click(view, at(view, first))
    xs = [p.x for p in window.document.edges[1].ui.via]
    assert len(xs) == 2 and xs == sorted(xs)  # from the output towards the input

    path = tmp_path / "via.interlock.yaml"
    window.document.save(path)
    workflow = loads_workflow(path.read_text(encoding="utf-8")).workflow
    assert workflow.edges[1].ui.via == window.document.edges[1].ui.via
    assert "via:" in dumps_workflow(workflow)
    window._load(workflow, path)
    reopened = _edge(window)
    assert len(reopened.handles) == 2
    for handle in reopened.handles:
        assert _passes_through(reopened, handle.scenePos())


def test_zoomed_out_the_overview_draws_the_wire_through_its_points(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    item = canvas.workflow_scene.edge_items[KEY]
    end = item.path().currentPosition()
    bend = QPointF(end.x() - 100, end.y() + 400)
    via = [(bend.x(), bend.y())]
    undo_stack.push(SetEdgeViaCommand(document, document.edges[1], [], via, "Add Reroute Point"))
    canvas.set_zoom(ZOOM)
    image = _render(canvas)
    on_leg = (bend + end) / 2  # on the straight leg from the point to the input
    pixel = (on_leg - ORIGIN) * ZOOM
    near = [
        image.pixelColor(int(pixel.x()) + dx, int(pixel.y()) + dy)
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
    ]
    assert any(c != QColor("white") for c in near)
    beside = ((bend + end) / 2 + QPointF(60, 0) - ORIGIN) * ZOOM
    assert image.pixelColor(int(beside.x()), int(beside.y())) == QColor("white")


def test_the_inspector_says_what_is_selected_when_it_is_not_one_node(
    qtbot: QtBot, window: MainWindow
) -> None:
    from PySide6.QtWidgets import QLabel

    _window(window)

    def hint() -> str:
        return " ".join(label.text() for label in window.inspector.findChildren(QLabel))

    window.scene.clearSelection()
    _edge(window).setSelected(True)
    assert "1 connection selected." in hint() and "reroute point" in hint()
    window.scene.node_items["b"].setSelected(True)
    window.scene.node_items["out"].setSelected(True)
    assert "2 nodes, 1 connection selected." in hint() and "reroute" not in hint()
