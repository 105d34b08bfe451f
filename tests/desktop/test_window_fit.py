"""The main window in its default layout fits a 1366x768 screen at 150% scale: its minimum
size is within 910x512 logical pixels, tall panels scroll inside their docks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSettings, QSize
from PySide6.QtWidgets import QDockWidget, QScrollArea
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.window_fit import FRAME_ALLOWANCE, fit_to_screen, logical_screen
from engine.nodes.base import NodeRegistry


def test_logical_screen_of_a_small_laptop_at_150_percent() -> None:
    assert logical_screen() == QSize(910, 512)


def test_default_window_minimum_fits_1366x768_at_150_percent(window: MainWindow) -> None:
    fits = logical_screen(QSize(1366, 768), 1.5)
    wanted = window.minimumSizeHint()
    assert wanted.width() <= fits.width() and wanted.height() <= fits.height(), wanted
    assert window.minimumSize().height() <= fits.height()
    run_dock = window.findChild(QDockWidget, "run_dock")
    assert isinstance(run_dock.widget(), QScrollArea)  # its panel is taller than the bound
    assert run_dock.widget().widget() is window.run_ui.node_view
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible()]
    assert len(docks) >= 8  # the default layout: every panel shown


def test_window_is_built_within_the_small_screen(
    qtbot: QtBot, tmp_path: Path, registry: NodeRegistry
) -> None:
    """The minimum the window holds while it is built (before it is shown, when it sizes
    itself to the screen) is the small one too, not the one before the docks scroll."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(registry, settings, db_path=str(tmp_path / "runs.db"))
    qtbot.addWidget(window)
    fits = logical_screen()
    assert window.minimumSize().height() <= fits.height(), window.minimumSize()
    assert window.minimumSize().width() <= fits.width(), window.minimumSize()


def test_a_new_window_leaves_room_for_its_frame(window: MainWindow) -> None:
    small = QRect(0, 0, 910, 512)
    fit_to_screen(window, small)
    assert window.size() == QSize(910, 512 - FRAME_ALLOWANCE)


def test_on_a_short_screen_the_inspector_and_canvas_get_the_height(
    qtbot: QtBot, window: MainWindow
) -> None:
    small = QRect(0, 0, 910, 512)  # 1366x768 at 150%
    fit_to_screen(window, small)
    window.show()
    qtbot.waitExposed(window)
    inspector = window.findChild(QDockWidget, "inspector_dock")
    approvals = window.findChild(QDockWidget, "approvals_dock")
    runs = window.findChild(QDockWidget, "runs_dock")
    assert approvals in window.tabifiedDockWidgets(inspector)  # one column, tabs
    # The right column is the inspector alone: as tall as the canvas beside it.
    qtbot.waitUntil(lambda: inspector.height() >= 0.85 * window.centralWidget().height())
    assert runs.height() <= 0.25 * window.height()


def test_a_roomy_screen_keeps_approvals_beside_the_inspector(window: MainWindow) -> None:
    fit_to_screen(window, QRect(0, 0, 1600, 1000))
    inspector = window.findChild(QDockWidget, "inspector_dock")
    approvals = window.findChild(QDockWidget, "approvals_dock")
    assert approvals not in window.tabifiedDockWidgets(inspector)
