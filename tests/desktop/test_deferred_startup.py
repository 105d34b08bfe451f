"""What the main window leaves until after its first paint: the engine session (store,
providers, model check: warmed up in a thread), which the Runs and Approvals panels then
read, and freezing start-up's objects out of the garbage collector's way."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop import main_window
from desktop.collector import long_lived_imports
from desktop.main_window import MainWindow
from desktop.panels.event_log import EventLogWidget
from desktop.resources import EXAMPLE
from desktop.run.session import EngineSession
from engine.nodes.base import NodeRegistry
from engine.trace.events import NodeStarted, NodeSucceeded, RunStarted
from engine.workflow.lenient import load_lenient
from tests.desktop.run_helpers import wait_finished
from tests.desktop.test_main_window import NO_LLM


def _window(
    qtbot: QtBot, tmp_path: Path, registry: NodeRegistry, monkeypatch: pytest.MonkeyPatch
) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(registry, settings, db_path=str(tmp_path / "runs.db"))
    monkeypatch.setattr(win, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    return win


def test_the_store_opens_in_the_background_after_the_first_paint(
    qtbot: QtBot, tmp_path: Path, registry: NodeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = _window(qtbot, tmp_path, registry, monkeypatch)
    session = win.run_controller.session
    runs, approvals = win.run_ui.runs, win.run_ui.approvals
    assert not session.store_ready and runs._store is None
    approvals.refresh()  # reads nothing yet (opening the file would block the GUI thread)
    assert not session.store_ready

    win.show()
    qtbot.waitUntil(lambda: runs._store is not None, timeout=15_000)
    assert session.store_ready and runs._store is session.store
    assert approvals.empty.text() == "No pending approvals"


def test_past_runs_show_once_the_store_is_open(
    qtbot: QtBot,
    qloop: Any,
    window: MainWindow,
    tmp_path: Path,
    registry: NodeRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "demo.interlock.yaml"
    path.write_text(NO_LLM, encoding="utf-8")
    window.open_path(path)
    window.run_controller.start({"who": "world"})
    run_id = wait_finished(qtbot, window).run_id
    window.close()

    again = _window(qtbot, tmp_path, registry, monkeypatch)
    again.show()  # the panel fills itself once the warm-up has opened the store
    runs = again.run_ui.runs
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=15_000)
    assert runs.table.item(0, 6).text() == run_id


def test_the_saved_dock_layout_applies_to_the_run_docks(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    registry: NodeRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.run_ui.approvals_dock.close()
    assert window.close()
    again = _window(qtbot, tmp_path, registry, monkeypatch)
    again.show()
    qtbot.waitExposed(again)
    assert again.run_ui.approvals_dock.isHidden()
    assert not again.run_ui.runs_dock.isHidden()


def test_session_warm_up_runs_once_in_a_thread(qloop: Any, qtbot: QtBot, tmp_path: Path) -> None:
    session = EngineSession(NodeRegistry(), str(tmp_path / "runs.db"))
    future = session.start_warm_up()
    assert session.start_warm_up() is future
    qtbot.waitUntil(future.done, timeout=15_000)
    assert future.exception() is None and session.store_ready
    store = session.store
    assert session.store is store
    session.close()
    assert not session.store_ready


def test_a_store_that_cannot_open_is_reported_in_the_approvals_panel(
    qtbot: QtBot,
    qloop: Any,
    tmp_path: Path,
    registry: NodeRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "runs.db").write_text("not a database", encoding="utf-8")
    win = _window(qtbot, tmp_path, registry, monkeypatch)
    win.show()
    approvals = win.run_ui.approvals
    qtbot.waitUntil(lambda: approvals.empty.text().startswith("Cannot read"), timeout=15_000)
    assert not win.run_controller.session.store_ready


def test_long_lived_imports_pause_the_collector_and_freeze_what_they_made() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    with long_lived_imports():
        assert not gc.isenabled()
        kept = [[i] for i in range(100)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(kept)


def test_opening_a_file_pauses_the_collector_without_freezing(
    qtbot: QtBot, tmp_path: Path, registry: NodeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = _window(qtbot, tmp_path, registry, monkeypatch)
    seen: list[bool] = []

    def spy(path: Path) -> Any:
        seen.append(gc.isenabled())
        return load_lenient(path)

    monkeypatch.setattr(main_window, "load_lenient", spy)
    frozen = gc.get_freeze_count()
    assert win.open_path(EXAMPLE, ask=False)
    assert seen == [False]  # no collection walks the heap while thousands of items build
    assert gc.isenabled() and gc.get_freeze_count() == frozen  # a document is not forever


def test_event_log_type_column_fits_the_widest_type(qtbot: QtBot) -> None:
    log = EventLogWidget()
    qtbot.addWidget(log)
    events = [
        RunStarted(run_id="r", seq=1),
        NodeStarted(run_id="r", seq=2, node_id="a"),
        NodeSucceeded(run_id="r", seq=3, node_id="a"),
    ]
    log.set_events(events)
    width = log.table.fontMetrics().horizontalAdvance("node_succeeded")
    assert log.table.horizontalHeader().sectionSize(2) >= width
    assert log.visible_rows() == 3
    log.set_events([*events, NodeStarted(run_id="r", seq=4, node_id="b")])
    assert log.visible_rows() == 4
    assert [log.node.itemText(i) for i in range(log.node.count())] == ["(all)", "a", "b"]
