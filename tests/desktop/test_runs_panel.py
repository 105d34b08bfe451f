"""Looking back: the Runs panel (filters), replay of a stored run with the scrubber, the
trace (timeline, event log filters, cost), comparing two runs and exporting one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop.dialogs.compare_dialog import CompareRunsDialog
from desktop.main_window import MainWindow
from desktop.run.replay_window import ReplayWindow
from tests.desktop.run_helpers import wait_finished
from tests.desktop.test_main_window import NO_LLM


@pytest.fixture
def two_runs(qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path) -> list[str]:
    path = tmp_path / "demo.interlock.yaml"
    path.write_text(NO_LLM, encoding="utf-8")
    window.open_path(path)
    ids = []
    for who in ("world", "moon"):
        window.run_controller.start({"who": who})
        ids.append(wait_finished(qtbot, window).run_id)
    return ids


def test_runs_panel_lists_and_filters(
    qtbot: QtBot, window: MainWindow, two_runs: list[str]
) -> None:
    panel = window.run_ui.runs
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)
    assert {panel.table.item(i, 6).text() for i in range(2)} == set(two_runs)
    assert panel.table.item(0, 2).text() == "succeeded"
    assert panel.table.item(0, 3).text().endswith("s")
    panel.status.setCurrentText("succeeded")
    assert panel.table.rowCount() == 2
    panel.workflow.setCurrentText("No-LLM demo")
    panel.date.setCurrentText("Today")
    assert panel.table.rowCount() == 2
    panel.status.addItem("failed")
    panel.status.setCurrentText("failed")
    assert panel.table.rowCount() == 0
    panel.status.setCurrentText("All")
    panel.select_runs(two_runs)
    assert panel.compare_button.isEnabled() and not panel.open_button.isEnabled()


def test_replay_and_scrub(qtbot: QtBot, window: MainWindow, two_runs: list[str]) -> None:
    commands = window.run_ui.commands
    with qtbot.waitSignal(commands.replay_opened) as opened:
        commands.open_replay(two_runs[0])  # read in a worker thread, then shown
    replay = opened.args[0]
    assert isinstance(replay, ReplayWindow) and commands.replays[-1] is replay
    qtbot.addWidget(replay)
    items = replay.scene.node_items
    assert set(items) == {"who", "greet", "route", "shout", "both", "result"}
    assert all(item.run_state == "succeeded" for item in items.values())
    assert not items["greet"].flags() & items["greet"].GraphicsItemFlag.ItemIsMovable

    replay.slider.setValue(0)  # run_started: nothing has happened yet
    assert all(item.run_state is None for item in items.values())
    first_done = next(i for i, e in enumerate(replay.events) if e.type == "node_succeeded")
    replay.slider.setValue(first_done)
    done = [n for n, item in items.items() if item.run_state == "succeeded"]
    assert done == [replay.events[first_done].node_id]
    assert "node_succeeded" in replay.position_label.text()
    replay.step(1)
    assert replay.slider.value() == first_done + 1

    replay.scene.select_nodes(["greet"])
    replay.slider.setValue(replay.slider.maximum())
    assert replay.node_view.output.toPlainText() == "Hello world"

    log = replay.trace.log
    assert log.visible_rows() == len(replay.events)
    log.kind.setCurrentText("node_succeeded")
    assert log.visible_rows() == 6
    log.kind.setCurrentText("(all)")
    log.search.setText("HELLO WORLD!")
    assert 1 <= log.visible_rows() < len(replay.events)
    assert replay.trace.gantt.order[0] == "who"
    replay.close()


def test_compare_and_export(
    qtbot: QtBot, window: MainWindow, two_runs: list[str], tmp_path: Path
) -> None:
    commands = window.run_ui.commands
    with qtbot.waitSignal(commands.compare_opened) as opened:
        commands.compare(*two_runs)  # read in a worker thread, then shown
    dialog = opened.args[0]
    assert isinstance(dialog, CompareRunsDialog)
    rows = {r.node_id: r for r in dialog.rows}
    assert rows["greet"].a["output"] == "Hello world" and rows["greet"].b["output"] == "Hello moon"
    assert rows["greet"].differs == {"output"}
    dialog.only_diff.setChecked(True)
    assert dialog.table.rowCount() == len([r for r in dialog.rows if r.differs])
    dialog.reject()

    with qtbot.waitSignal(commands.exported) as exported:  # written in a worker thread
        assert commands.export_run(two_runs[1], tmp_path / "run.json") is not None
    target = exported.args[0]
    assert target == tmp_path / "run.json"
    data = json.loads(target.read_text(encoding="utf-8"))
    store = window.run_controller.session.store
    assert data["run"]["run_id"] == two_runs[1] and data["run"]["status"] == "succeeded"
    assert len(data["events"]) == len(store.events(two_runs[1]))
    assert data["events"][0]["type"] == "run_started"
