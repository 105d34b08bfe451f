"""Running from the main window: the live overlay (states, badges, carried edges), the
inspector's Run tab, the run status bar, the inputs dialog, re-run, run from a node,
the Offline toggle and the settings dialog."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from desktop.dialogs.settings_dialog import SettingsDialog
from desktop.main_window import MainWindow
from engine.providers.remote.calls import OFFLINE_ENV
from tests.desktop.run_helpers import wait_finished
from tests.desktop.test_main_window import NO_LLM

TYPED = """\
version: 1
metadata: {name: Typed inputs}
inputs:
  - {name: who, type: string, required: true, description: Who to greet}
  - {name: times, type: integer, default: 2, description: How many times}
nodes:
  - {id: who, kind: input, position: {x: 0, y: 0}}
  - {id: times, kind: input, position: {x: 0, y: 150}}
  - id: greet
    kind: template
    position: {x: 260, y: 0}
    config: {inputs: [who, times], template: '{{ who }} x{{ times }}'}
  - {id: out, kind: output, position: {x: 520, y: 0}}
edges:
  - {source: who.value, target: greet.who}
  - {source: times.value, target: greet.times}
  - {source: greet.text, target: out.value}
"""


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.interlock.yaml"
    path.write_text(NO_LLM, encoding="utf-8")
    return path


def test_run_overlay_status_and_run_tab(
    qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path
) -> None:
    window.open_path(demo)
    window.actions_.run.trigger()
    result = wait_finished(qtbot, window)
    assert result.status == "succeeded"
    ui, overlay = window.run_ui, window.run_controller.overlay
    qtbot.waitUntil(lambda: window.scene.node_items["result"].run_state == "succeeded")
    badge = overlay._badges["greet"][1]
    assert badge.state == "succeeded" and badge.isVisible()
    carried = overlay.carried_edges()
    assert ("who", "value", "greet", "in") in carried
    assert len(carried) == len(window.scene.edge_items)
    # Events only mark nodes; repaints happen per frame, never more than one per event
    # (how many events share a frame depends on the machine's speed: see bench/canvas.py).
    assert overlay.flush_count <= len(window.run_controller.state.events)

    qtbot.waitUntil(lambda: ui.status.isVisible())
    assert ui.status.nodes.text() == "6/6 nodes"
    assert ui.status.progress.value() == ui.status.progress.maximum() == 6
    qtbot.waitUntil(lambda: "succeeded" in ui.status.status.text())

    window.scene.select_nodes(["greet"])
    view = ui.node_view
    assert view.node_id == "greet"
    assert "succeeded" in view.header.text()
    assert '"in": "world"' in view.inputs.toPlainText()
    assert view.output.toPlainText() == "Hello world"
    attempts = view.details.topLevelItem(0)
    assert attempts is not None and attempts.text(0) == "Attempts"
    assert attempts.child(0).text(0) == "#1 succeeded"

    ui._refresh_trace()
    assert ui.trace.gantt.order[:2] == ["who", "greet"]
    assert ui.trace.log.visible_rows() == len(window.run_controller.state.events)


def test_stop_right_after_run_ends_cancelled(
    qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path
) -> None:
    """Stop pressed before the run's task got to start: the window ends stopped, not
    stuck running."""
    window.open_path(demo)
    ended: list[object] = []
    window.run_controller.finished.connect(ended.append)
    window.actions_.run.trigger()
    assert window.actions_.stop.isEnabled()
    window.actions_.stop.trigger()  # same turn of the event loop: the task never ran
    qtbot.waitUntil(lambda: bool(ended))
    assert isinstance(ended[0], asyncio.CancelledError)
    assert window.actions_.run.isEnabled() and not window.actions_.stop.isEnabled()
    assert window.run_ui.commands.run_with_inputs.isEnabled()
    assert window.run_controller.state.status == "cancelled"
    assert window.statusBar().currentMessage() == "Run stopped"

    window.actions_.run.trigger()  # and the next run goes ahead
    assert wait_finished(qtbot, window).status == "succeeded"


def test_inputs_dialog_is_generated_and_remembered(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "typed.interlock.yaml"
    path.write_text(TYPED, encoding="utf-8")
    window.open_path(path)
    commands = window.run_ui.commands
    window.actions_.run.trigger()  # `who` is required and has no value yet: ask
    dialog = commands.inputs_dialog
    assert dialog is not None and dialog.isVisible()
    who, times = dialog.editors["who"], dialog.editors["times"]
    assert isinstance(who, QLineEdit) and isinstance(times, QSpinBox)
    assert times.value() == 2 and who.toolTip() == "Who to greet"
    dialog.accept()
    assert dialog.isVisible() and "who is required" in dialog.error.text()
    who.setText("Ada")
    times.setValue(3)
    dialog.accept()
    result = wait_finished(qtbot, window)
    assert result.outputs == {"out": "Ada x3"}

    window.actions_.run.trigger()  # remembered values: no dialog this time
    assert window.run_controller.running
    assert wait_finished(qtbot, window).outputs == {"out": "Ada x3"}
    commands.run_with_inputs.trigger()  # always asks, prefilled with the last values
    again = commands.inputs_dialog
    assert again is not None and again is not dialog
    edit = again.editors["who"]
    assert isinstance(edit, QLineEdit) and edit.text() == "Ada"
    again.reject()


def test_rerun_and_run_from_here(qtbot: QtBot, qloop: Any, window: MainWindow, demo: Path) -> None:
    window.open_path(demo)
    commands = window.run_ui.commands
    assert not commands.rerun.isEnabled()
    window.actions_.run.trigger()
    first = wait_finished(qtbot, window)
    assert commands.rerun.isEnabled()

    view = window.view
    item = window.scene.node_items["shout"]
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    assert commands.node_at(pos) == "shout"
    menu = commands.node_menu("shout")
    run_from = menu.actions()[0]
    assert run_from.text() == "Run from Here" and run_from.isEnabled()
    run_from.trigger()
    second = wait_finished(qtbot, window)
    assert second.run_id != first.run_id and second.status == "succeeded"
    state = window.run_controller.state
    assert state.nodes["greet"].state == "cached"
    reused = [e for e in state.nodes["greet"].events if e.type == "node_cached"]
    assert reused[0].payload()["source"] == first.run_id  # reused from the last run
    assert state.nodes["shout"].state in ("succeeded", "cached")  # re-ran (result cache)
    assert any(e.type == "node_started" for e in state.nodes["shout"].events) or (
        state.nodes["shout"].events[-1].payload()["source"] == "cache"
    )
    qtbot.waitUntil(lambda: window.scene.node_items["greet"].run_state == "cached")

    commands.rerun.trigger()
    third = wait_finished(qtbot, window)
    assert third.outputs == first.outputs and third.run_id not in (first.run_id, second.run_id)


def test_offline_toggle_and_settings(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(OFFLINE_ENV, raising=False)
    offline = window.run_ui.commands.offline
    offline.trigger()
    assert offline.isChecked() and os.environ[OFFLINE_ENV] == "1"
    offline.trigger()
    assert OFFLINE_ENV not in os.environ

    dialog = window.run_ui.commands.show_settings()
    assert isinstance(dialog, SettingsDialog)
    dialog.concurrency.setValue(2)
    dialog.offline.setChecked(True)
    dialog.accept()
    assert window.run_controller.default_parallelism == 2
    assert offline.isChecked() and os.environ[OFFLINE_ENV] == "1"
    assert window.settings.value("settings/concurrency") in (2, "2")
    snapshot = window.run_controller._snapshot()
    assert snapshot.policy.max_parallelism == 2
    offline.setChecked(False)
