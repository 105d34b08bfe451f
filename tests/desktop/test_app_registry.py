"""The app knows the same node kinds as the CLI: the built-in ones and installed plugins."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow


def test_the_app_registers_plugin_node_kinds_like_the_cli(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERLOCK_NODE_KIND_MODULES", "tests.support.kinds")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, db_path=str(tmp_path / "runs.db"))
    monkeypatch.setattr(window, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(window)
    assert "test_sleep" in window.registry and "loop" in window.registry
    assert {"test_sleep", "loop"} <= set(window.palette_widget.kinds_shown())
