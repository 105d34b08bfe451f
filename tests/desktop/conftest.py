"""Desktop test fixtures: a document, a canvas on it, a main window with throwaway settings
and database, and a qasync loop that runs while pytest-qt spins Qt events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.async_loop import install_loop, release_loop
from desktop.canvas.scene import WorkflowScene
from desktop.canvas.view import WorkflowView
from desktop.main_window import MainWindow
from engine.nodes import builtin_registry
from engine.nodes.base import KindConfig, NodeContext, NodeKind, NodeRegistry, NodeResult, PortSpec
from engine.workflow.document import WorkflowDocument
from engine.workflow.model import Workflow


class NumberSinkKind(NodeKind[KindConfig]):
    """A test-only kind whose input insists on numbers (built-in inputs all take `any`)."""

    name: ClassVar[str] = "number_sink"
    description: ClassVar[str] = "Takes a number"
    config_model = KindConfig

    def input_ports(self, config: KindConfig) -> list[PortSpec]:
        return [PortSpec("number", "number")]

    async def run(self, ctx: NodeContext, config: KindConfig, inputs: dict[str, Any]) -> NodeResult:
        return NodeResult({})


def chain_workflow() -> Workflow:
    """a (template) -> b (template) -> out (output), laid out left to right."""
    return Workflow.model_validate(
        {
            "metadata": {"name": "chain"},
            "nodes": [
                {
                    "id": "a",
                    "kind": "template",
                    "title": "Greeting",
                    "position": {"x": 0, "y": 0},
                    "config": {"template": "hello", "inputs": []},
                },
                {
                    "id": "b",
                    "kind": "template",
                    "position": {"x": 300, "y": 0},
                    "config": {"template": "{{ in }}!"},
                },
                {"id": "out", "kind": "output", "position": {"x": 600, "y": 0}},
            ],
            "edges": [
                {"source": "a.text", "target": "b.in"},
                {"source": "b.text", "target": "out.value"},
            ],
        }
    )


@pytest.fixture
def registry() -> NodeRegistry:
    registry = builtin_registry()
    registry.register(NumberSinkKind())
    return registry


@pytest.fixture
def document() -> WorkflowDocument:
    return WorkflowDocument(chain_workflow())


@pytest.fixture
def undo_stack() -> QUndoStack:
    return QUndoStack()


@pytest.fixture
def canvas(
    qtbot: QtBot, document: WorkflowDocument, registry: NodeRegistry, undo_stack: QUndoStack
) -> Iterator[WorkflowView]:
    scene = WorkflowScene(document, registry, undo_stack)
    view = WorkflowView(scene)
    view.resize(1000, 600)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    yield view
    scene.detach()


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[Any]:
    loop = install_loop(qapp, already_running=True)
    yield loop
    release_loop(loop)


@pytest.fixture
def window(
    qtbot: QtBot,
    tmp_path: Path,
    registry: NodeRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(registry, settings, db_path=str(tmp_path / "runs.db"))
    # Teardown closes the window; never block on the unsaved-changes question.
    monkeypatch.setattr(win, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture(scope="session", autouse=True)
def _release_clipboard_at_exit() -> Iterator[None]:
    """Copy tests leave our QMimeData on the clipboard; Qt would free it twice at exit."""
    yield
    from desktop.canvas.clipboard import release_clipboard

    release_clipboard()
