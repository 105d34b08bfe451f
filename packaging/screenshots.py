"""Renders the main window on every example workflow (resources/examples and subfolders)
in light and dark themes to docs/screenshots/<name>-<theme>.png, under Xvfb when there
is no display. Run: .venv/bin/python packaging/screenshots.py"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SIZE = (1400, 900)


def start_display() -> subprocess.Popen[bytes] | None:
    """Start Xvfb on a free display if DISPLAY is unset; returns the process to stop."""
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return None
    if shutil.which("Xvfb") is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    number = next(n for n in range(99, 140) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    proc = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit("Xvfb did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    return proc


def settle(ms: int) -> None:
    """Run the event loop for `ms` so deferred layout and paint work is done."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def examples() -> list[Path]:
    return sorted((ROOT / "resources" / "examples").rglob("*.interlock.yaml"))


def shoot(example: Path, scheme: str, workdir: Path) -> Path:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = QSettings(str(workdir / f"{scheme}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, db_path=str(workdir / "runs.db"))
    window.resize(*SIZE)
    window.show()
    window.open_path(example, ask=False)
    for _ in range(20):
        app.processEvents()
    window.view.zoom_fit()
    busiest = max(window.document.nodes, key=lambda n: len(n.config), default=None)
    if busiest is not None:
        window.reveal_node(busiest.id)
        window.view.zoom_fit()
    settle(500)  # Qt discards the dock layout's superseded tab bars ~0.1 s after show
    name = example.name.removesuffix(".interlock.yaml")
    target = OUT / f"{name}-{scheme}.png"
    window.grab().save(str(target))
    window.undo_stack.setClean()
    window.close()
    window.deleteLater()
    app.processEvents()
    return target


def main() -> int:
    display = start_display()
    try:
        sys.path.insert(0, str(ROOT))
        from PySide6.QtWidgets import QApplication

        from desktop.theme import apply_scheme

        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        OUT.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            for scheme in ("light", "dark"):
                apply_scheme(app, scheme)  # type: ignore[arg-type]
                for example in examples():
                    print(shoot(example, scheme, Path(tmp)).relative_to(ROOT))
        return 0
    finally:
        if display is not None:
            display.terminate()
            display.wait(5)


if __name__ == "__main__":
    raise SystemExit(main())
