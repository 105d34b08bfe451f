"""The `interlock app` sub-command: opens the desktop window on a workflow file, or on a
new untitled workflow (File ▸ Open Example opens the bundled one)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from desktop.main_window import MainWindow


def register(subparsers: Any) -> None:
    """Add `app` to the engine CLI (loaded through the `interlock.commands` entry point)."""
    parser = subparsers.add_parser("app", help="open the desktop app")
    parser.add_argument("file", nargs="?", help="workflow file (default: a new one)")
    parser.add_argument("--db", help="SQLite file (default: $INTERLOCK_DB or the app data dir)")
    parser.set_defaults(handler=run_app_command)


def run_app_command(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.async_loop import run_app
    from desktop.canvas.clipboard import release_clipboard
    from desktop.resources import icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Interlock")
    app.setOrganizationName("Interlock")
    app.setWindowIcon(icon("interlock"))
    app.aboutToQuit.connect(release_clipboard)
    window = start_window(args.file, args.db)
    window.window().show()  # the tabs holding it
    return run_app(app)


def start_window(file: str | None, db: str | None, settings: QSettings | None = None) -> MainWindow:
    """The document the app starts with, the first tab of its window: on `file`, else on
    a new untitled workflow; once it shows, it offers edits left unsaved when Interlock
    last ended without saving."""
    from PySide6.QtCore import QTimer

    from desktop.main_window import MainWindow
    from desktop.window_tabs import WindowTabs

    window = MainWindow(settings=settings, db_path=db)
    WindowTabs(window.settings).add(window)
    if file:
        window.open_path(file, ask=False)
    QTimer.singleShot(0, window, window.offer_recovery)
    return window
