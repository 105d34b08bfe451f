"""Capture the run UI screenshots (run, approval, timeline, runs, compare, evaluate-panel,
calibration) from a real window. Run under a display, e.g. `xvfb-run -s "-screen 0
1600x1000x24" .venv/bin/python docs/screenshots/capture_run_ui.py [evaluate-panel]
[calibration]`; writes PNGs next to this file (with arguments, only those)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
DATA = tempfile.mkdtemp(prefix="interlock-shots-")
os.environ["INTERLOCK_DATA_DIR"] = DATA
os.environ["INTERLOCK_DB"] = str(Path(DATA) / "interlock.db")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget  # noqa: E402

from desktop.async_loop import install_loop  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402
from desktop.resources import EXAMPLE  # noqa: E402
from tests.desktop.run_helpers import APPROVAL  # noqa: E402


def shot(widget: QWidget, name: str, *, screen: bool = False) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.processEvents()
    pixmap = widget.screen().grabWindow(0) if screen else widget.grab()
    pixmap.save(str(HERE / f"{name}.png"))
    print("saved", name)


async def until(predicate: object, timeout: float = 300.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > end:
            raise TimeoutError
        await asyncio.sleep(0.05)


def raise_dock(window: MainWindow, name: str) -> None:
    dock = window.findChild(QDockWidget, name)
    if dock is not None:
        dock.show()
        dock.raise_()


REVIEWS = [
    ("The battery died after two days and support never answered.", "negative"),
    ("Great sound, fits perfectly, would buy again.", "positive"),
    ("The strap broke within a week. Very disappointed.", "negative"),
    ("Shipping was fast and the price was fair.", "positive"),
    ("Stopped charging after a month, what a waste of money.", "negative"),
]
EVAL = """\
version: 1
name: Review sentiment
workflow: {workflow}
dataset: reviews.jsonl
concurrency: 2
scorers:
  - {{id: correct, type: json_fields, output: sentiment, keys: [sentiment]}}
variants:
  - {{name: as_is}}
  - name: reworded
    nodes:
      classify: {{prompt: 'Is this review positive or negative? {{{{ in }}}}'}}
"""


async def main(app: QApplication, only: set[str]) -> None:
    settings = QSettings(str(Path(DATA) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1500, 940)
    window.move(0, 0)
    window.open_path(EXAMPLE, ask=False)
    window.show()
    await asyncio.sleep(0.5)
    window.view.zoom_fit()
    if not only or "run" in only:
        await run_shots(window)
    if not only or "evaluate-panel" in only:
        await evaluate_shot(window)
    if not only or "calibration" in only:
        await calibration_shot(window)
    window.close()


async def evaluate_shot(window: MainWindow) -> None:
    """The Evaluate dock after an evaluation of two variants on five labelled reviews."""
    rows = [
        {"review": text, "reviews": [], "expected.sentiment": {"sentiment": label}}
        for text, label in REVIEWS
    ]
    folder = Path(DATA)
    (folder / "reviews.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    path = folder / "reviews.eval.yaml"
    path.write_text(EVAL.format(workflow=EXAMPLE), encoding="utf-8")
    window.open_path(EXAMPLE, ask=False)
    window.view.zoom_fit()
    ui = window.evaluate_ui
    ui.show_panel()
    panel = ui.panel
    await until(lambda: panel.ready)
    panel.setup.set_eval_file(path)
    panel.run()
    await until(lambda: not ui.controller.running and panel.shown is not None)
    await until(lambda: panel.setup.dataset.count() > 0)
    await asyncio.sleep(0.5)
    shot(window, "evaluate-panel")


TOPIC_EVAL = """\
version: 1
name: Topic check
workflow: topic.interlock.yaml
dataset: messages.jsonl
scorers:
  - {id: correct, type: exact}
"""


async def calibration_shot(window: MainWindow) -> None:
    """Calibrate routing… on the topic labeller's two local rungs over six labelled
    messages, after "Apply to workflow"."""
    folder = Path(DATA)
    for name in ("topic.interlock.yaml", "messages.jsonl"):
        shutil.copy(ROOT / "tests" / "data" / "calibration" / name, folder / name)
    (folder / "topic.eval.yaml").write_text(TOPIC_EVAL, encoding="utf-8")
    window.open_path(folder / "topic.interlock.yaml", ask=False)
    ui = window.evaluate_ui
    ui.show_panel()
    panel = ui.panel
    await until(lambda: panel.ready)
    panel.setup.set_eval_file(folder / "topic.eval.yaml")
    panel.shown_actions.calibrate_button.click()
    dialog = ui.calibration_dialog
    assert dialog is not None
    await until(lambda: dialog.setup is not None)
    dialog.limit.setValue(6)
    dialog.calibrate()
    await until(lambda: not dialog.calibrating)
    dialog.apply()
    await asyncio.sleep(0.5)
    shot(dialog, "calibration")
    dialog.close()
    window.undo_stack.undo()  # back to the saved file: closing asks nothing


async def run_shots(window: MainWindow) -> None:
    raise_dock(window, "trace_dock")
    raise_dock(window, "run_dock")
    window.scene.select_nodes(["classify"])
    controller = window.run_controller
    window.actions_.run.trigger()
    items = window.scene.node_items
    await until(lambda: items["summarise"].run_state in ("running", "streaming"))
    await until(lambda: items["classify"].run_state in ("succeeded", "failed"))
    await asyncio.sleep(0.3)
    shot(window, "run")
    await until(lambda: not controller.running)
    first = controller.last_run_id

    window.actions_.run.trigger()  # a second run (cached) for the runs list and compare
    await until(lambda: not controller.running)
    second = controller.last_run_id

    path = Path(DATA) / "approval.interlock.yaml"
    path.write_text(APPROVAL.replace("COMMENT", "false"), encoding="utf-8")
    window.open_path(path, ask=False)
    window.view.zoom_fit()
    opened: list[QWidget] = []
    window.run_ui.approver.opened.connect(opened.append)
    window.actions_.run.trigger()
    await until(lambda: bool(opened))
    dialog = opened[0]
    await asyncio.sleep(0.5)
    shot(window, "approval", screen=True)
    dialog.reject()  # decide later: the run waits; the panel lists it
    await until(lambda: not controller.running)

    window.open_path(EXAMPLE, ask=False)
    window.view.zoom_fit()
    raise_dock(window, "runs_dock")
    raise_dock(window, "approvals_dock")
    window.run_ui.runs.refresh()
    window.run_ui.approvals.refresh()
    runs_dock = window.findChild(QDockWidget, "runs_dock")
    if runs_dock is not None:
        window.resizeDocks([runs_dock], [260], Qt.Orientation.Vertical)
    await asyncio.sleep(0.5)
    shot(window, "runs")

    assert first is not None and second is not None
    commands = window.run_ui.commands
    await commands.open_replay(first)  # read in a worker thread, then shown
    replay = commands.replays[-1]
    replay.resize(1500, 940)
    replay.move(0, 0)
    replay.scene.select_nodes(["classify"])
    replay.slider.setValue(replay.slider.maximum())
    trace_dock = replay.findChild(QDockWidget, "replay_trace")
    if trace_dock is not None:
        replay.resizeDocks([trace_dock], [380], Qt.Orientation.Vertical)
    await asyncio.sleep(0.5)
    replay.view.zoom_fit()
    await asyncio.sleep(0.3)
    shot(replay, "timeline")
    replay.close()

    opened: list[QWidget] = []
    commands.compare_opened.connect(opened.append)
    await commands.compare(first, second)
    compare = opened[-1]
    compare.resize(1300, 560)
    await asyncio.sleep(0.5)
    shot(compare, "compare")
    compare.close()


if __name__ == "__main__":
    application = QApplication(sys.argv[:1])
    loop = install_loop(application)
    with loop:
        loop.run_until_complete(main(application, set(sys.argv[1:])))
