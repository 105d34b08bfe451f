"""Canvas benchmarks: open time (load + scene + validate) and frame time while panning
(the scene rendered into a QImage per frame) for 100 / 1,000 / 5,000 nodes at fit-all and
1:1, with and without 100 run-state updates per second; plus desktop startup time.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/canvas.py [--sizes 100,1000,5000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QRectF, QSettings, QTimer  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

FRAME = (1280, 800)
FRAMES = 60
COLUMNS = 40


def make_workflow(n: int, path: Path) -> None:
    """`n` template nodes in COLUMNS-wide layers, each fed by one node of the layer before."""
    lines = ["version: 1", f"metadata: {{name: bench {n}}}", "nodes:"]
    for i in range(n):
        col, row = divmod(i, max(1, n // COLUMNS))
        config = "{template: '{{ in }}'}" if i >= n // COLUMNS else "{template: hi, inputs: []}"
        lines.append(
            f"  - {{id: n{i}, kind: template, position: {{x: {col * 260}, y: {row * 110}}}, "
            f"config: {config}}}"
        )
    lines.append("edges:")
    per = max(1, n // COLUMNS)
    for i in range(per, n):
        lines.append(f"  - {{source: n{i - per}.text, target: n{i}.in}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def frame_times(window: object, zoom: float | None, states: bool) -> list[float]:
    """Render FRAMES frames of a viewport-sized area into a QImage, panning 12 px a frame."""
    from desktop.main_window import MainWindow

    assert isinstance(window, MainWindow)
    scene, view = window.scene, window.view
    if zoom is None:
        view.zoom_fit()
        rect = scene.nodes_rect()
        scale = min(FRAME[0] / rect.width(), FRAME[1] / rect.height())
    else:
        scale = zoom
    view.set_zoom(scale)  # what the user's zoom does: level of detail follows it
    width, height = FRAME[0] / scale, FRAME[1] / scale
    start = scene.nodes_rect().topLeft()
    image = QImage(*FRAME, QImage.Format.Format_ARGB32_Premultiplied)
    ids = list(scene.node_items)
    overlay = window.run_controller.overlay
    times = []
    for frame in range(FRAMES):
        if states:  # 100 updates/s at 60 fps: ~2 per frame, coalesced into one flush
            for k in range(2):
                node = ids[(frame * 7 + k * 13) % len(ids)]
                overlay.state.node(node).state = ("running", "succeeded")[frame % 2]
                overlay.mark(node)
            overlay.flush()
        source = QRectF(start.x() + frame * 12 / scale, start.y(), width, height)
        timer = QElapsedTimer()
        timer.start()
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.drawBackground(painter, source)
        scene.render(painter, QRectF(image.rect()), source)
        painter.end()
        times.append(timer.nsecsElapsed() / 1e6)
    return times


def coalescing(window: object) -> tuple[int, int]:
    """100 run-state updates per second for one second through the event loop: how many
    updates arrived, and how many repaint batches (flushes) they became."""
    from desktop.main_window import MainWindow

    assert isinstance(window, MainWindow)
    overlay = window.run_controller.overlay
    ids = list(window.scene.node_items)
    sent = [0]
    before = overlay.flush_count

    def tick() -> None:
        node = ids[sent[0] % len(ids)]
        overlay.state.node(node).state = "running"
        overlay.mark(node)  # what each run event does: the overlay repaints once per frame
        sent[0] += 1

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    QTimer.singleShot(1000, loop.quit)
    timer.start()
    loop.exec()
    timer.stop()
    overlay.flush()
    return sent[0], overlay.flush_count - before


def bench_size(n: int, tmp: Path) -> dict[str, float]:
    from desktop.main_window import MainWindow
    from engine.workflow.lenient import load_lenient

    path = tmp / f"bench{n}.interlock.yaml"
    make_workflow(n, path)
    settings = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, db_path=str(tmp / "runs.db"))
    window.resize(1400, 900)
    window.show()
    QApplication.processEvents()
    load = min(timed(lambda: load_lenient(path)) for _ in range(3))
    opened = timed(lambda: window.open_path(path, ask=False))
    QApplication.processEvents()
    scene_only = timed(lambda: window.scene._rebuild())
    validate = timed(window.validate_now)
    result = {"load": load, "open": opened, "scene": scene_only, "validate": validate}
    for label, zoom in (("fit", None), ("1:1", 1.0)):
        for states in (False, True):
            times = frame_times(window, zoom, states)
            key = f"{label}{' +states' if states else ''}"
            result[key] = statistics.median(times)
            result[key + " p95"] = sorted(times)[int(len(times) * 0.95) - 1]
    sent, flushes = coalescing(window)
    result["updates"], result["flushes"] = sent, flushes
    window.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QApplication.processEvents()
    return result


STARTUP = """
import time, sys
t0 = float(sys.argv[1])
HEAVY = sys.argv[3].split(",")
from PySide6.QtCore import QObject, QEvent, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop.main_window import MainWindow
from desktop.resources import EXAMPLE
class First(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            heavy = [m for m in HEAVY if m in sys.modules]
            print(f"{time.time() - t0:.3f} {','.join(heavy)}")
            app.exit(0)
        return False
w = MainWindow(db_path=sys.argv[2])
w.open_path(EXAMPLE, ask=False)
first = First()
w.view.viewport().installEventFilter(first)
w.show()
app.exec()
"""


HEAVY = ("llama_cpp", "numpy", "sqlalchemy", "sqlmodel", "alembic", "httpx", "networkx")
"""Modules worth loading after the first paint, not before."""


def startup(tmp: Path, runs: int = 6) -> tuple[list[float], list[str]]:
    """Seconds from process launch to the canvas's first paint (first run is cold), and
    which HEAVY modules were loaded by then."""
    times, heavy = [], []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, "-c", STARTUP, str(t0), str(tmp / "startup.db"), ",".join(HEAVY)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        seconds, _, loaded = out.stdout.strip().splitlines()[-1].partition(" ")
        times.append(float(seconds))
        heavy = loaded.split(",") if loaded else []
    return times, heavy


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--no-startup", action="store_true")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert app is not None
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        header = f"{'nodes':>6} {'load':>7} {'open':>7} {'scene':>7} {'valid.':>7}"
        print(f"{header}  frame ms (median/p95)")
        for n in (int(s) for s in args.sizes.split(",")):
            r = bench_size(n, tmp)
            frames = "  ".join(
                f"{k} {r[k]:.1f}/{r[k + ' p95']:.1f}"
                for k in ("fit", "fit +states", "1:1", "1:1 +states")
            )
            print(
                f"{n:>6} {r['load']:>6.3f}s {r['open']:>6.3f}s {r['scene']:>6.3f}s "
                f"{r['validate']:>6.3f}s  {frames}  "
                f"[{r['updates']:.0f} updates -> {r['flushes']:.0f} repaints in 1 s]"
            )
        if not args.no_startup:
            times, heavy = startup(tmp)
            warm = times[1:]
            print(
                f"startup to first paint: cold {times[0]:.3f}s, warm median "
                f"{statistics.median(warm):.3f}s (best {min(warm):.3f}s, {len(warm)} runs)"
            )
            print("heavy modules loaded at first paint:", ", ".join(heavy) or "none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
