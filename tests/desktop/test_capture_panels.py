"""docs/screenshots/capture_panels.py drives a real window: three of its model-free shots
(start page, a file that cannot be parsed, workflow settings) are taken into a temporary
folder, each a real PNG of the window, with the window in the state the picture shows."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Coroutine
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "capture_panels.py"


@pytest.fixture(scope="module")
def capture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("capture_panels", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(qtbot: QtBot, coro: Coroutine[Any, Any, Path]) -> Path:
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=15_000)
    return task.result()


def _is_window_png(path: Path, name: str, window: MainWindow) -> None:
    assert path.name == f"{name}.png" and path.is_file()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 20_000  # a whole window, not a blank
    image = QImage(str(path))
    assert not image.isNull() and image.size() == window.size()  # the window, whole
    assert image.width() >= 600 and image.height() >= 400


def test_model_free_shots_show_the_window_as_described(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path, capture: ModuleType
) -> None:
    assert set(capture.SHOTS) == {
        "start-page",
        "command-palette",
        "node-forms",
        "workflow-settings",
        "load-problem",
        "tool-sources",
        "small-screen",
        "run-summary",
        "approval-json",
        "subworkflow-tab",
    }
    out = tmp_path / "shots"

    _is_window_png(_run(qtbot, capture.start_page(window, out)), "start-page", window)
    assert window.start_panel.isVisible() and window.document.path is None
    assert len(window.start_panel.recent_buttons) == 3  # the files opened before New

    _is_window_png(_run(qtbot, capture.load_problem(window, out)), "load-problem", window)
    view = window.unreadable_view
    assert window.unreadable is not None and window.central.currentWidget() is view
    assert view.problem.text().startswith("review_triage.interlock.yaml:35:21: YAML syntax")
    assert view.marked_line() == 35 and not window.actions_.save.isEnabled()

    _is_window_png(_run(qtbot, capture.workflow_settings(window, out)), "workflow-settings", window)
    executor = window.document.workflow.policy.executor
    assert executor is not None and (executor.kind, executor.address) == (
        "ray",
        "192.168.1.10:6379",
    )
    assert window.settings_ui.dock.isVisible() and window.undo_stack.canUndo()
    assert sorted(p.name for p in out.iterdir()) == [
        "load-problem.png",
        "start-page.png",
        "workflow-settings.png",
    ]
