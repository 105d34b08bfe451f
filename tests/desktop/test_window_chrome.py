"""The window around the canvas: a theme switch repaints every node (nodes keep a cached
picture of themselves), and the toolbar keeps its layout while labels change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.canvas.node_item import NodeItem
from desktop.canvas.style import NODE_WIDTH, colors
from desktop.dialogs.settings_dialog import apply_theme
from desktop.main_window import MainWindow
from tests.desktop.test_main_window import NO_LLM


@pytest.fixture
def restore_theme(qapp: QApplication) -> Iterator[None]:
    palette = qapp.palette()
    yield
    apply_theme("system")
    qapp.setPalette(palette)


def on_screen(window: MainWindow, node_id: str) -> str:
    """The colour on screen (what the window last painted) just inside the bottom edge of
    a node's body: read from the screen, so the nodes' cached pictures are what is seen."""
    item = window.scene.node_items[node_id]
    inside = item.mapToScene(QPointF(NODE_WIDTH / 2, item.body_rect().height() - 3))
    viewport = window.view.viewport()
    point = viewport.mapToGlobal(window.view.mapFromScene(inside))
    shot = viewport.screen().grabWindow(0, point.x(), point.y(), 1, 1).toImage()
    return shot.pixelColor(0, 0).name()


def test_theme_switch_repaints_every_node(
    qtbot: QtBot,
    window: MainWindow,
    restore_theme: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "demo.interlock.yaml"
    path.write_text(NO_LLM, encoding="utf-8")
    window.open_path(path)
    window.view.zoom_reset()
    window.view.centerOn(window.scene.node_items["greet"])
    area = window.view.mapToScene(window.view.viewport().rect().adjusted(0, 0, 0, -60))
    shown = [
        i
        for i, item in window.scene.node_items.items()
        if area.containsPoint(
            item.mapToScene(QPointF(NODE_WIDTH / 2, item.body_rect().height() - 3)),
            Qt.FillRule.OddEvenFill,
        )
    ]
    assert shown  # nodes on screen, painted into their cached pictures
    dropped: list[str] = []  # nodes whose cached picture was dropped (offscreen Qt may
    update = NodeItem.update  # repaint regardless; a real display shows the stale one)

    def spy(item: NodeItem, *args: Any) -> None:
        dropped.append(item.node_id)
        update(item, *args)

    monkeypatch.setattr(NodeItem, "update", spy)
    for theme in ("light", "dark", "light"):
        dropped.clear()
        apply_theme(theme)
        qtbot.waitUntil(lambda: set(dropped) == set(window.scene.node_items))
        body = colors().node_body.name()
        qtbot.waitUntil(lambda b=body: all(on_screen(window, i) == b for i in shown))


def test_toolbar_keeps_its_place_as_the_undo_label_changes(
    qtbot: QtBot, qloop: Any, window: MainWindow
) -> None:
    bar = window.main_toolbar
    assert bar is not None
    run = bar.widgetForAction(window.actions_.run)
    before = run.geometry()
    undo = window.actions_.undo
    window.scene.add_node_of_kind("template", QPointF(40, 400))
    label = undo.text().replace("&", "")
    assert label.startswith("Undo ") and len(label) > len("Undo ")  # the menu names it
    QApplication.processEvents()
    assert bar.widgetForAction(undo).text() == "Undo"
    assert run.geometry() == before
