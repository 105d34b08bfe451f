"""Capture the window and panel screenshots from a real window, each through the app's own
methods and actions: start-page, command-palette, node-forms, workflow-settings,
load-problem, tool-sources, small-screen (1366x768 at 150%, in a child process with
QT_SCALE_FACTOR=1.5), subworkflow-tab, and with the bundled model run-summary and
approval-json. Run under a display, e.g. `xvfb-run -s "-screen 0 1600x1000x24"
.venv/bin/python docs/screenshots/capture_panels.py [NAME ...] [--out DIR]`; with no names,
all of them, written next to this file unless --out says where.

This module owns those ten PNGs: regenerate them here rather than by hand."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPoint, QRect, QSettings  # noqa: E402
from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QListWidget,
    QToolButton,
    QWidget,
)

from desktop.async_loop import install_loop  # noqa: E402
from desktop.dialogs.approval_dialog import ApprovalDialog  # noqa: E402
from desktop.main_window import MainWindow  # noqa: E402
from desktop.resources import EXAMPLE  # noqa: E402
from desktop.window_fit import SMALL_SCREEN, fit_to_screen, logical_screen  # noqa: E402

EXAMPLES = ROOT / "resources" / "examples"
WINDOW = (1400, 900)
SCALED = "1.5"
"""QT_SCALE_FACTOR of the small-screen shot (1366x768 at 150%)."""

PLAN = """\
version: 1
metadata:
  name: Plan review
inputs:
  - name: plan
    type: object
    description: The migration plan to check
    default:
      title: Migrate the orders database
      steps:
        - {do: back up, notes: "first the nightly dump\\nthen a fresh snapshot"}
        - {do: migrate, notes: run 0042_split_orders.sql in one transaction}
        - {do: verify, notes: row counts match before and after}
      dry_run: false
nodes:
  - {id: plan, kind: input, title: Plan, position: {x: 0, y: 0}}
  - id: review
    kind: approval
    title: Review the plan
    position: {x: 260, y: 0}
    config:
      title: Run this migration plan?
      summary: |-
        Check the plan before it runs:
          1. the backup comes first
          2. dry_run is what you expect

        Edit the JSON to change a step.
  - {id: approved, kind: output, title: Approved plan, position: {x: 520, y: 0}}
edges:
  - {source: plan.value, target: review.in}
  - {source: review.approved, target: approved.value}
"""
"""The workflow of approval-json: a JSON plan waiting for a person's approval."""


def use_throwaway_data() -> Path:
    """Point the app's data, database, config and keyring at a new temporary folder (call
    before a window is made); the folder."""
    data = Path(tempfile.mkdtemp(prefix="interlock-shots-"))
    os.environ["INTERLOCK_DATA_DIR"] = str(data)
    os.environ["INTERLOCK_DB"] = str(data / "interlock.db")
    os.environ["INTERLOCK_CONFIG"] = str(data / "config.toml")
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.memory_keyring.MemoryKeyring"
    return data


def make_window(data: Path) -> MainWindow:
    """A main window with its settings and runs database under `data`, at the top left."""
    settings = QSettings(str(data / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, db_path=str(data / "runs.db"))  # its runs alone
    window.resize(*WINDOW)
    window.move(0, 0)
    window.show()
    return window


def workdir() -> Path:
    """A scratch folder for a shot's files (copies of examples, a broken file), removed
    when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="interlock-shot-files-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def example_copy(folder: Path, name: str) -> Path:
    """A copy of the bundled example folder `name` in `folder`, so resources/ is never
    written; the copied folder."""
    target = folder / name
    shutil.copytree(EXAMPLES / name, target, dirs_exist_ok=True)
    return target


async def pause(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


async def until(predicate: Callable[[], object], timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise TimeoutError("the window did not get there in time")
        await asyncio.sleep(0.05)


def save(pixmap: Any, out: Path, name: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    if not pixmap.save(str(path)):
        raise RuntimeError(f"could not write {path}")
    print("saved", path)
    return path


def grab(widget: QWidget, out: Path, name: str, rect: QRect | None = None) -> Path:
    """The widget as it paints itself (no window frame), or a part of it. (Events are left
    to the loop: processing them here would re-enter asyncio tasks.)"""
    return save(widget.grab(rect) if rect is not None else widget.grab(), out, name)


def grab_screen(widget: QWidget, out: Path, name: str, rect: QRect | None = None) -> Path:
    """What the screen shows (every window on it), or a part of it, in logical pixels."""
    screen = widget.screen()
    area = rect or QRect(QPoint(0, 0), screen.geometry().size())
    return save(screen.grabWindow(0, area.x(), area.y(), area.width(), area.height()), out, name)


def raise_dock(window: MainWindow, name: str) -> None:
    dock = window.findChild(QDockWidget, name)
    if dock is not None:
        dock.show()
        dock.raise_()


def canvas_and_inspector(window: MainWindow) -> None:
    """Close every panel but the inspector's column (the node palette, the bottom panels,
    approvals): the canvas gets the room."""
    keep = ("inspector_dock", "run_dock", "workflow_settings_dock")
    for dock in window.findChildren(QDockWidget):
        if dock.objectName() not in keep:
            close_dock(window, dock.objectName())


def close_dock(window: MainWindow, name: str) -> None:
    """Close a panel as View ▸ Panels does, giving its room to the panels beside it."""
    dock = window.findChild(QDockWidget, name)
    if dock is not None and dock.isVisible():
        dock.toggleViewAction().trigger()


def child(parent: QWidget, kind: type, name: str) -> Any:
    widget = parent.findChild(kind, name)
    if widget is None:
        raise LookupError(f"no {kind.__name__} named {name}")
    return widget


def pick(combo: QComboBox, data: object) -> None:
    """Choose the entry holding `data`, as a person's pick does (activated is sent)."""
    combo.setCurrentIndex(combo.findData(data))
    combo.activated.emit(combo.currentIndex())


# -- the shots ------------------------------------------------------------------------------


async def start_page(window: MainWindow, out: Path) -> Path:
    """A new untitled workflow: the start panel with recent files and the example cards."""
    folder = workdir()
    for name in ("triage", "document_review"):
        copy = example_copy(folder, name)
        window.open_path(copy / f"{name}.interlock.yaml", ask=False)
    window.open_path(shutil.copy(EXAMPLE, folder / EXAMPLE.name), ask=False)
    window.actions_.new.trigger()
    await until(window.start_panel.isVisible)
    await pause()
    return grab(window, out, "start-page")


async def command_palette(window: MainWindow, out: Path) -> Path:
    """Ctrl+K over the hello example, "run" typed."""
    window.open_path(EXAMPLE, ask=False)
    window.view.zoom_fit()
    window.view.setFocus()
    child(window, QAction, "command_palette_action").trigger()
    palette = window.command_palette
    await until(palette.isVisible)
    palette.search.setText("run")
    await pause()
    return grab_screen(window, out, "command-palette", window.frameGeometry())


async def node_forms(window: MainWindow, out: Path) -> Path:
    """The inspector's route and policy forms on document_review's Summarize node, with an
    escalation ladder of two models built in the form."""
    folder = example_copy(workdir(), "document_review")
    window.resize(1430, 900)
    close_dock(window, "approvals_dock")  # the inspector has the right side's height
    window.open_path(folder / "document_review.interlock.yaml", ask=False)
    raise_dock(window, "inspector_dock")
    window.scene.select_nodes(["summarize"])
    await until(lambda: window.inspector.node_id == "summarize")
    inspector = window.inspector
    pick(child(inspector, QComboBox, "route_sensitivity"), "internal")
    child(inspector, QCheckBox, "route_escalate").setChecked(True)
    child(inspector, QCheckBox, "route_on_schema_failure").setChecked(True)
    child(inspector, QCheckBox, "route_on_local_error").setChecked(True)
    pick(child(inspector, QComboBox, "route_ladder_mode"), "list")
    for model in ("qwen2.5-7b-instruct", "openai/gpt-4o-mini"):
        child(inspector, QComboBox, "route_add_model").setCurrentText(model)
        child(inspector, QToolButton, "route_ladder_add").click()
    child(inspector, QListWidget, "route_ladder").setCurrentRow(1)
    child(inspector, QDoubleSpinBox, "route_rung_confidence").setValue(0.7)
    await pause()
    window.view.zoom_fit()
    sensitivity = child(inspector, QComboBox, "route_sensitivity")
    scroller = _scroll_area_of(sensitivity)
    if scroller is not None:  # the route form's lower half and the policy form in view
        scroller.ensureWidgetVisible(sensitivity, 0, 0)
        bar = scroller.verticalScrollBar()
        top = sensitivity.mapTo(scroller.widget(), QPoint(0, 0)).y()
        bar.setValue(top - 4)
    await pause()
    dock = child(window, QDockWidget, "inspector_dock")
    left = window.central.mapTo(window, QPoint(0, 0))
    bottom = dock.mapTo(window, QPoint(0, dock.height())).y() + 28  # its tabs below it
    area = QRect(left, QPoint(window.width() - 1, bottom))
    return grab(window, out, "node-forms", area)


def _scroll_area_of(widget: QWidget) -> Any:
    from PySide6.QtWidgets import QScrollArea

    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    return parent


async def workflow_settings(window: MainWindow, out: Path) -> Path:
    """Workflow Settings on its Policy page: map items run on a Ray cluster at a head
    address, chosen and typed in the panel (each one undo step)."""
    window.resize(1560, 940)
    window.open_path(shutil.copy(EXAMPLE, workdir() / EXAMPLE.name), ask=False)
    window.view.zoom_fit()
    close_dock(window, "approvals_dock")  # the settings have the right side's height
    window.settings_ui.show_panel("policy")
    box = window.settings_ui.panel.executor
    pick(box.kind, "ray")
    box.address.setText("192.168.1.10:6379")
    box.address.editingFinished.emit()
    await until(lambda: window.document.workflow.policy.executor is not None)
    await pause()
    scroller = _scroll_area_of(box)
    if scroller is not None:
        scroller.ensureWidgetVisible(box)
    window.view.zoom_fit()
    await pause()
    return grab(window, out, "workflow-settings")


BROKEN_LINE = "prompt: 'Review: {{ in }}'"
"""The line of the hello example made invalid YAML: an unquoted value with a colon."""


async def load_problem(window: MainWindow, out: Path) -> Path:
    """A copy of the hello example with a YAML syntax error, opened: the read-only view."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert BROKEN_LINE in text
    path = workdir() / "review_triage.interlock.yaml"
    path.write_text(text.replace(BROKEN_LINE, "prompt: Review: {{ in }}"), encoding="utf-8")
    window.open_path(path, ask=False)
    view = window.unreadable_view
    await until(view.isVisible)
    raise_dock(window, "problems_dock")
    view.text.centerCursor()
    await pause()
    return grab(window, out, "load-problem")


async def tool_sources(window: MainWindow, out: Path) -> Path:
    """Models and Endpoints ▸ Tool sources: the time server registered through the form,
    tested (its tools listed) and get_current_time set to ask."""
    from desktop.dialogs.models_dialog import ModelsDialog

    window.run_ui.commands.models.trigger()
    await until(lambda: window.findChild(ModelsDialog) is not None)
    dialog = window.findChild(ModelsDialog)
    assert dialog is not None
    dialog.tabs.setCurrentWidget(dialog.tool_sources)
    page = dialog.tool_sources
    page.transport.setCurrentIndex(0)
    page.name.setText("time")
    page.executable.setText(str(Path(sys.executable).parent / "mcp-server-time"))
    page.arguments.setText("--local-timezone UTC")
    page.add_server()
    await until(lambda: page.table.rowCount() == 1 and page.add_button.isEnabled(), 30)
    page.name.clear()
    page.executable.clear()
    page.arguments.clear()
    page.select_server("time")
    page.test_selected()
    await until(lambda: page.tools_table.rowCount() == 2, 60)
    page.set_tool("get_current_time", "ask")
    await until(lambda: "get_current_time: ask" in page.status.text(), 30)
    row = next(i for i, t in enumerate(page.tools) if t.tool == "get_current_time")
    page.tools_table.selectRow(row)
    await pause(0.5)
    path = grab(dialog, out, "tool-sources")
    dialog.close()
    return path


async def small_screen(window: MainWindow, out: Path) -> Path:
    """The triage example on a 1366x768 screen at 150% (run with QT_SCALE_FACTOR=1.5): the
    window fitted to it, its docks compact, the approval node selected."""
    small = logical_screen(SMALL_SCREEN, float(SCALED))
    folder = example_copy(workdir(), "triage")
    window.open_path(folder / "triage.interlock.yaml", ask=False)
    fit_to_screen(window, QRect(QPoint(0, 0), small))
    window.move(0, 0)
    await pause(0.5)
    window.scene.select_nodes(["approve"])
    window.view.zoom_fit()
    await pause(0.5)
    return grab_screen(window, out, "small-screen", QRect(QPoint(0, 0), small))


async def run_summary(window: MainWindow, out: Path) -> Path:
    """The hello example after a run with the bundled model: the summary in the canvas's
    corner and each node's output under it."""
    window.open_path(EXAMPLE, ask=False)
    raise_dock(window, "runs_dock")
    window.view.zoom_fit()
    await pause()
    summary = window.run_ui.summary
    window.actions_.run.trigger()
    await until(lambda: window.run_controller.running, 30)
    await until(lambda: not window.run_controller.running, 600)
    await until(summary.isVisible, 30)
    window.run_ui.runs.refresh()
    await pause(1.0)
    return grab_screen(window, out, "run-summary", window.frameGeometry())


async def approval_json(window: MainWindow, out: Path) -> Path:
    """A run waiting on an approval whose proposed value is a JSON plan: the dialog beside
    the node, the value whole and coloured."""
    path = workdir() / "plan.interlock.yaml"
    path.write_text(PLAN, encoding="utf-8")
    window.open_path(path, ask=False)
    raise_dock(window, "runs_dock")
    window.view.zoom_fit()
    opened: list[ApprovalDialog] = []
    window.run_ui.approver.opened.connect(opened.append)
    window.actions_.run.trigger()
    await until(lambda: bool(opened), 120)
    dialog = opened[0]
    await until(dialog.isVisible)
    window.run_ui.runs.refresh()
    await pause(2.0)  # the node's waiting badge counts a little
    area = window.frameGeometry().united(dialog.frameGeometry())
    shot = grab_screen(window, out, "approval-json", area)
    dialog.reject()  # decide later: the run stays paused, then is stopped
    window.actions_.stop.trigger()
    await until(lambda: not window.run_controller.running, 60)
    return shot


async def subworkflow_tab(window: MainWindow, out: Path) -> Path:
    """support_inbox with Open Subworkflow called on its subworkflow node: the child in a
    second tab of the same window, in front, beside the parent's tab."""
    folder = example_copy(workdir(), "support_inbox")
    window.open_path(folder / "support_inbox.interlock.yaml", ask=False)
    canvas_and_inspector(window)
    raise_dock(window, "inspector_dock")
    window.scene.select_nodes(["triage"])
    await pause()
    shown = window.open_subworkflow("triage")
    assert isinstance(shown, MainWindow) and shown is not window
    tabs = shown.window()
    tabs.resize(1400, 900)
    tabs.move(0, 0)
    canvas_and_inspector(shown)
    await pause()
    shown.view.zoom_fit()
    await pause(1.0)
    return grab_screen(tabs, out, "subworkflow-tab", tabs.geometry())


Shot = Callable[[MainWindow, Path], Awaitable[Path]]
SHOTS: dict[str, Shot] = {
    "start-page": start_page,
    "command-palette": command_palette,
    "node-forms": node_forms,
    "workflow-settings": workflow_settings,
    "load-problem": load_problem,
    "tool-sources": tool_sources,
    "small-screen": small_screen,
    "run-summary": run_summary,
    "approval-json": approval_json,
    "subworkflow-tab": subworkflow_tab,
}
"""Each shot in a fresh window of its own; run-summary and approval-json run a workflow."""


async def capture(names: list[str], out: Path, data: Path) -> None:
    done: list[MainWindow] = []  # kept until the end: their warm-up threads may still report
    for name in names:
        window = make_window(data / name)
        done.append(window)
        await pause(0.5)
        try:
            await SHOTS[name](window, out)
        finally:
            window.undo_stack.setClean()  # closing asks nothing
            window.close()
            await pause(0.2)


def scaled_child(out: Path) -> int:
    """small-screen in a process of its own at QT_SCALE_FACTOR=1.5."""
    env = dict(os.environ, QT_SCALE_FACTOR=SCALED)
    command = [sys.executable, str(Path(__file__).resolve()), "small-screen", "--out", str(out)]
    return subprocess.run(command, env=env, check=False).returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(SHOTS))
    parser.add_argument("--out", type=Path, default=HERE, help="folder (default: this one)")
    args = parser.parse_args(argv)
    names = list(dict.fromkeys(args.names)) or list(SHOTS)
    unknown = [n for n in names if n not in SHOTS]
    if unknown:
        parser.error(f"unknown shot {', '.join(unknown)}; known: {', '.join(SHOTS)}")
    code = 0
    if "small-screen" in names and os.environ.get("QT_SCALE_FACTOR") != SCALED:
        names.remove("small-screen")
        code = scaled_child(args.out)
    if not names:
        return code
    data = use_throwaway_data()
    for name in names:
        (data / name).mkdir()
    application = QApplication(sys.argv[:1])
    application.setQuitOnLastWindowClosed(False)  # one window after another
    loop = install_loop(application)
    with loop:
        loop.run_until_complete(capture(names, args.out.resolve(), data))
    shutil.rmtree(data, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
