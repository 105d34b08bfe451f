"""Frozen entry point of the bundle: `interlock` for both the CLI and `interlock app`.

The spec copies the `interlock` dist-info into the bundle, so `importlib.metadata` finds the
`interlock.commands` and `interlock.report_formats` entry points as in a wheel install.
Should that metadata be missing, a static distribution with the same entry points is put
on `sys.meta_path` so `app` and PDF reports still load; the engine itself is unchanged.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Kept in step with pyproject.toml by tests/packaging/test_bundle.py.
ENTRY_POINTS = """\
[interlock.commands]
app = desktop.cli:register

[interlock.report_formats]
pdf = desktop.reports_pdf:render_pdf
"""
GROUPS = ("interlock.commands", "interlock.report_formats")


class _StaticDistribution(metadata.Distribution):
    """The `interlock` distribution as far as entry points need it."""

    def read_text(self, filename: str) -> str | None:
        if filename == "entry_points.txt":
            return ENTRY_POINTS
        if filename in ("METADATA", "PKG-INFO"):
            return "Metadata-Version: 2.1\nName: interlock\nVersion: 0+frozen\n"
        return None

    def locate_file(self, path: Any) -> Path:
        return Path(getattr(sys, "_MEIPASS", ".")) / str(path)


class _StaticFinder(metadata.DistributionFinder):
    """Finds only the static `interlock` distribution."""

    def find_spec(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # not an import finder

    def find_distributions(
        self, context: metadata.DistributionFinder.Context = metadata.DistributionFinder.Context()
    ) -> Iterator[metadata.Distribution]:
        if context.name in (None, "interlock"):
            yield _StaticDistribution()


def ensure_entry_points() -> bool:
    """Register the static fallback when the bundled metadata lacks our groups.
    Returns True if the fallback was installed."""
    found = {group for group in GROUPS if metadata.entry_points(group=group)}
    if found == set(GROUPS):
        return False
    sys.meta_path.append(_StaticFinder())
    return True


def _first_paint_probe(t0: float) -> None:
    """For bench timing only (INTERLOCK_FIRST_PAINT_EXIT=<epoch seconds at launch>): print
    the seconds from launch to the canvas's first paint on stderr, then quit the app. Same
    measure as bench/canvas.py's startup, taken on the frozen bundle."""
    import time

    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from desktop.main_window import MainWindow

    class _FirstPaint(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint:
                print(f"first-paint {time.time() - t0:.3f}", file=sys.stderr, flush=True)
                QApplication.exit(0)
            return False

    show = MainWindow.show
    probe = _FirstPaint()

    def show_and_probe(self: Any) -> None:
        self.view.viewport().installEventFilter(probe)
        show(self)

    MainWindow.show = show_and_probe  # type: ignore[method-assign]


def default_to_app(argv: list[str], executable: str) -> list[str]:
    """The windowed executable `interlock-app` (Windows, macOS .app; not built on Linux)
    always opens the desktop: `interlock-app FILE` is `interlock app FILE`."""
    if Path(executable).stem.lower() == "interlock-app" and argv[1:2] != ["app"]:
        return [argv[0], "app", *argv[1:]]
    return argv


def main() -> None:
    ensure_entry_points()
    sys.argv = default_to_app(sys.argv, sys.executable)
    probe = os.environ.get("INTERLOCK_FIRST_PAINT_EXIT")
    if probe:
        _first_paint_probe(float(probe))
    from engine.cli.main import cli

    cli()


if __name__ == "__main__":
    main()
