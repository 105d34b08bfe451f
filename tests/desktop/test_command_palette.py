"""The command palette: Ctrl+K opens it over the window, typing narrows the commands by
their letters in order, Enter runs the chosen one, Escape closes it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.command_palette import Command, match_score
from desktop.main_window import MainWindow
from desktop.shortcuts_dialog import shortcut_rows


def _open(qtbot: QtBot, window: MainWindow) -> None:
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.command_palette.isVisible)


def test_ctrl_k_lists_every_menu_action_and_typing_filters(
    qtbot: QtBot, window: MainWindow
) -> None:
    _open(qtbot, window)
    palette = window.command_palette
    labels = [label for label, _ in palette.shown()]
    for expected in (
        "File ▸ Save As",
        "Edit ▸ Duplicate",
        "View ▸ Zoom to Fit",
        "Workflow ▸ Validate",
    ):
        assert any(label.startswith(expected) for label in labels), expected
    assert not any("Command Palette" in label for label in labels)
    everything = len(labels)
    qtbot.keyClicks(palette.search, "zmfit")  # letters in order, not a substring
    labels = [label for label, _ in palette.shown()]
    assert 0 < len(labels) < everything
    assert labels[0].startswith("View ▸ Zoom to Fit")
    assert palette.list.currentItem() is palette.list.topLevelItem(0)
    QTest.keyClick(palette.search, Qt.Key.Key_Escape)
    assert not palette.isVisible()


def test_enter_runs_the_chosen_action(qtbot: QtBot, window: MainWindow) -> None:
    view = window.view
    view.resetTransform()
    view.centerOn(QPointF(5000, 5000))  # the chain is far out of sight
    item = window.scene.node_items
    window.scene.add_node_of_kind("template", QPointF(0, 0))
    window.scene.add_node_of_kind("output", QPointF(900, 300))
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert not any(visible.contains(i.sceneBoundingRect()) for i in item.values())
    _open(qtbot, window)
    qtbot.keyClicks(window.command_palette.search, "zoom to fit")
    QTest.keyClick(window.command_palette.search, Qt.Key.Key_Return)
    assert not window.command_palette.isVisible()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(visible.contains(i.sceneBoundingRect()) for i in item.values())


def test_a_disabled_action_is_listed_greyed_and_enter_does_not_run_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert not window.actions_.stop.isEnabled()  # nothing is running
    ran: list[bool] = []
    window.actions_.stop.triggered.connect(lambda: ran.append(True))
    _open(qtbot, window)
    qtbot.keyClicks(window.command_palette.search, "workflow stop")
    shown = window.command_palette.shown()
    assert shown and shown[0][0].startswith("Workflow ▸ Stop") and shown[0][1] is False
    QTest.keyClick(window.command_palette.search, Qt.Key.Key_Return)
    assert ran == []


def test_the_palette_is_in_the_help_menu_and_the_shortcuts_list(window: MainWindow) -> None:
    rows = shortcut_rows(window)
    assert ("Help", "Command Palette", "Ctrl+K") in rows
    assert sum(1 for row in rows if "Ctrl+K" in row[2].split(", ")) == 1  # no clash


def test_match_score_prefers_names_that_start_with_what_was_typed(window: MainWindow) -> None:
    act = window.actions_.zoom_fit
    fit = Command(act, "Zoom to Fit", "View", "Ctrl+9")
    assert match_score("zoom", fit)[:3] == (0, 0, 0)  # type: ignore[index]
    assert match_score("fit", fit) is not None and match_score("fit", fit)[1] == 1
    assert match_score("view fit", fit) is not None  # through the menu path
    assert match_score("xyz", fit) is None
    assert match_score("tiz", fit) is None  # letters out of order
    run = Command(act, "Run", "Workflow", "F5")
    panel = Command(act, "Run", "View ▸ Panels", "")
    assert match_score("run", run) < match_score("run", panel)  # type: ignore[operator]


def test_arrow_keys_choose_and_a_canvas_key_joins_its_menu_command(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = window.view
    view.resetTransform()
    _open(qtbot, window)
    palette = window.command_palette
    qtbot.keyClicks(palette.search, "zoom")
    labels = [label for label, _ in palette.shown()]
    zoom_in = [label for label in labels if "Zoom In" in label]
    assert len(zoom_in) == 1  # the menu's and the canvas's Zoom In, once, with all keys
    assert zoom_in[0].startswith("View ▸ Zoom In") and zoom_in[0].endswith(", +, =")
    assert labels[1].startswith("View ▸ Zoom Out")
    QTest.keyClick(palette.search, Qt.Key.Key_Down)
    QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert view.zoom < 1.0
