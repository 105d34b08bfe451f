"""The `interlock app` sub-command: opens the desktop window on a workflow file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.resources import EXAMPLE


def register(subparsers: Any) -> None:
    """Add `app` to the engine CLI (loaded through the `interlock.commands` entry point)."""
    parser = subparsers.add_parser("app", help="open the desktop app")
    parser.add_argument("file", nargs="?", help="workflow file (default: the bundled example)")
    parser.add_argument("--db", help="SQLite file (default: $INTERLOCK_DB or the app data dir)")
    parser.set_defaults(handler=run_app_command)


def run_app_command(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop.async_loop import run_app
    from desktop.canvas.clipboard import release_clipboard
    from desktop.main_window import MainWindow
    from desktop.resources import icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Interlock")
    app.setOrganizationName("Interlock")
    app.setWindowIcon(icon("interlock"))
    app.aboutToQuit.connect(release_clipboard)
    window = MainWindow(db_path=args.db)
    target = args.file or (str(EXAMPLE) if EXAMPLE.is_file() else None)
    if target is not None:
        window.open_path(target, ask=False)
    window.show()
    return run_app(app)
