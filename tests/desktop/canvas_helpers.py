"""Mouse and keyboard helpers for canvas tests: real events through the view's viewport."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from desktop.canvas.view import WorkflowView

Left = Qt.MouseButton.LeftButton
NoMod = Qt.KeyboardModifier.NoModifier


def at(view: WorkflowView, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


def drag(
    view: WorkflowView,
    start: QPoint,
    end: QPoint,
    button: Qt.MouseButton = Left,
    release: bool = True,
    steps: int = 6,
) -> None:
    """Press at `start`, move in steps to `end`, release (viewport pixels)."""
    viewport = view.viewport()
    QTest.mousePress(viewport, button, NoMod, start)
    for step in range(1, steps + 1):
        point = start + (end - start) * step / steps
        # QTest.mouseMove carries no buttons; Qt items still get moves while grabbed.
        QTest.mouseMove(viewport, point)
    if release:
        QTest.mouseRelease(viewport, button, NoMod, end)


def double_click(view: WorkflowView, pos: QPoint) -> None:
    """A real double-click's events: press, release, double-click, release (QTest's
    mouseDClick alone sends only the double-click)."""
    QTest.mouseClick(view.viewport(), Left, NoMod, pos)
    QTest.mouseDClick(view.viewport(), Left, NoMod, pos)
    QTest.mouseRelease(view.viewport(), Left, NoMod, pos)


def port_point(view: WorkflowView, node_id: str, port: str, direction: str) -> QPoint:
    item = view.workflow_scene.node_items[node_id]
    pos = item.port_scene_pos(port, direction)  # type: ignore[arg-type]
    assert pos is not None, f"{node_id}.{port}"
    return view.mapFromScene(pos)
