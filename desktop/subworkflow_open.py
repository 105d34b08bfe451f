"""Open Subworkflow: the workflow file a subworkflow node (or a map or loop whose body is a
file) runs, opened as a tab of the same window (a document of its own: canvas, undo
history, runs), created first as a minimal workflow when it does not exist yet."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QMessageBox

from engine.nodes.composite import child_workflow_path
from engine.workflow.document import WorkflowDocument
from engine.workflow.lenient import load_lenient
from engine.workflow.model import Node, Workflow

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

log = logging.getLogger(__name__)

CHILD_KINDS = frozenset({"subworkflow", "map", "loop"})

MINIMAL_WORKFLOW = """\
version: 1
metadata:
  name: {name}
inputs:
  - name: input
    type: string
nodes:
  - id: input
    kind: input
    title: Input
    position: {{x: 0, y: 0}}
  - id: output
    kind: output
    title: Output
    position: {{x: 300, y: 0}}
edges:
  - {{source: input.value, target: output.value}}
"""
"""What a new child workflow starts as: one string input wired to one output."""


def _workflow_target(node: Node) -> str | None:
    """The workflow file `node` runs, as written in its config (None: it runs none)."""
    target = node.config.get("workflow") if node.kind in CHILD_KINDS else None
    return target if isinstance(target, str) and target.strip() else None


def _is_absolute(target: str) -> bool:
    return Path(target).expanduser().is_absolute()


def child_file(document: WorkflowDocument, node_id: str) -> Path | None:
    """The workflow file `node_id` runs, resolved as the engine resolves it (relative to
    the parent file's folder), or None when the node runs no file."""
    if not document.has_node(node_id):
        return None
    target = _workflow_target(document.node(node_id))
    if target is None:
        return None
    base = document.path.parent if document.path else None
    return child_workflow_path(target, base)


def copy_child_files(workflow: Workflow, source: Path, folder: Path) -> list[Path]:
    """A copy of an example saved to `folder` for the first time: copy the workflow files
    its nodes run by relative path (and theirs) from the example's `source` folder, where
    `folder` has none yet. Returns the files copied."""
    copied: list[Path] = []
    pending = [workflow]
    while pending:
        current = pending.pop()
        for node in current.nodes:
            target = _workflow_target(node)
            if target is None or _is_absolute(target):
                continue
            origin, destination = source / target, folder / target
            if not origin.is_file() or destination.exists():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, destination)
            copied.append(destination)
            loaded = load_lenient(origin)
            if loaded.workflow is not None:
                pending.append(loaded.workflow)
    return copied


def create_minimal(path: Path) -> None:
    """Write a minimal valid workflow (an input wired to an output) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name.split(".")[0].replace("_", " ") or "Subworkflow"
    path.write_text(MINIMAL_WORKFLOW.format(name=name), encoding="utf-8")


def ask_create(window: MainWindow, path: Path) -> bool:
    """Whether to create the missing child file (a function so tests can answer it)."""
    answer = QMessageBox.question(
        window,
        "Open Subworkflow",
        f"{path}\n\nThis workflow file does not exist yet. Create it with an input and an "
        "output, and open it?",
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_save_parent(window: MainWindow) -> bool:
    """Whether to save the untitled parent first (a function so tests can answer it)."""
    answer = QMessageBox.question(
        window,
        "Open Subworkflow",
        "A subworkflow's file is found next to the workflow that runs it, and this "
        "workflow is not saved yet. Save it first?",
    )
    return answer == QMessageBox.StandardButton.Yes


def _absolute(document: WorkflowDocument, node_id: str) -> bool:
    target = _workflow_target(document.node(node_id))
    return target is not None and _is_absolute(target)


def showing(path: Path) -> MainWindow | None:
    """The open document (a window, or a tab of one) showing the file at `path`."""
    from desktop.main_window import MainWindow  # the window module imports this one
    from desktop.window_tabs import WindowTabs

    for top in QApplication.topLevelWidgets():
        if isinstance(top, WindowTabs) and top.isVisible():
            documents = top.documents()
        elif isinstance(top, MainWindow) and top.isVisible():
            documents = [top]
        else:
            continue
        for document in documents:
            if document.document.path is not None and document.document.path.resolve() == path:
                return document
    return None


def open_subworkflow(window: MainWindow, node_id: str) -> MainWindow | None:
    """Open the file `node_id` runs in a new tab of `window`'s window (or show the tab or
    window already showing it); offer to create it when it is missing. Returns the
    document, or None."""
    path = child_file(window.document, node_id)
    if path is None:
        window.statusBar().showMessage("This node runs no workflow file", 8000)
        return None
    if window.document.path is None and not _absolute(window.document, node_id):
        # A relative path is found next to the parent file; an untitled parent has no
        # folder yet, and the working folder may be anywhere (the install folder).
        if not ask_save_parent(window) or not window.save_as():
            return None
        path = child_file(window.document, node_id)
        if path is None:
            return None
    if not path.is_file():
        if not ask_create(window, path):
            return None
        try:
            create_minimal(path)
        except OSError as exc:
            QMessageBox.critical(window, "Cannot create workflow", f"{path}\n\n{exc}")
            return None
    from desktop.main_window import MainWindow  # the window module imports this one
    from desktop.window_tabs import in_tabs, tabs_of

    target = path.resolve()
    shown = showing(target)
    if shown is not None:
        tabs = tabs_of(shown)
        if tabs is not None:
            tabs.show_document(shown)
        else:
            shown.raise_()
            shown.activateWindow()
        return shown
    child = MainWindow(window.registry, window.settings, window.run_controller.db_path)
    if not child.open_path(target, ask=False):
        child.deleteLater()
        return None
    in_tabs(window).add(child)
    return child
