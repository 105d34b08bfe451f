"""The bundled example run from the toolbar on the real bundled model: node states on
the canvas, badges with the local model, and the inspector's Run tab."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.resources import EXAMPLE
from tests.desktop.run_helpers import wait_finished

pytestmark = [
    pytest.mark.slow,
    pytest.mark.model,
]


def test_run_the_example_on_the_bundled_model(qtbot: QtBot, qloop: Any, window: MainWindow) -> None:
    assert window.open_path(EXAMPLE)
    window.scene.select_nodes(["classify"])
    window.actions_.run.trigger()
    assert window.run_controller.running and not window.actions_.run.isEnabled()
    seen: set[str] = set()
    window.run_controller.overlay.flushed.connect(
        lambda _: seen.add(str(window.scene.node_items["classify"].run_state))
    )
    result = wait_finished(qtbot, window, timeout=300_000)
    assert result.status == "succeeded", result.error
    assert {"running", "streaming"} & seen  # the live state was painted mid-run

    items = window.scene.node_items
    done = ("review", "classify", "route", "summarise", "reply", "reply_text", "summaries")
    qtbot.waitUntil(lambda: all(items[n].run_state == "succeeded" for n in done))
    assert {items["apology"].run_state, items["thanks"].run_state} == {"succeeded", "skipped"}

    badge = window.run_controller.overlay._badges["classify"][1]
    assert badge.metrics.startswith("local · ") and " tok" in badge.metrics
    view = window.run_ui.node_view
    assert view.node_id == "classify"
    assert "local model" in view.header.text() and "tokens" in view.header.text()
    assert "sentiment" in view.output.toPlainText()
    assert "The battery died" in view.inputs.toPlainText()
    assert window.run_ui.status.tokens.text() == f"{result.tokens} tokens"
