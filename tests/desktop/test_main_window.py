"""The main window: opening, saving, unsaved-changes prompts, recent files and Run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop import file_dialogs
from desktop.cli import start_window
from desktop.main_window import MainWindow
from desktop.resources import EXAMPLE
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import load_workflow
from engine.workflow.model import PortRef, Workflow

Answer = QMessageBox.StandardButton

NO_LLM = """\
version: 1
metadata:
  name: No-LLM demo
inputs:
  - name: who
    type: string
    default: world
nodes:
  - id: who
    kind: input
    title: Who
    position: {x: 0, y: 0}
  - id: greet
    kind: template
    title: Greeting
    position: {x: 260, y: 0}
    config: {template: 'Hello {{ in }}'}
  - id: route
    kind: branch
    title: Long enough?
    position: {x: 520, y: 0}
    config:
      cases:
        - {port: loud, when: "in != ''"}
      default: quiet
  - id: shout
    kind: template
    title: Shout
    position: {x: 780, y: 0}
    config: {template: '{{ in | upper }}!'}
  - id: both
    kind: join
    title: Both
    position: {x: 1040, y: 60}
    config: {inputs: [plain, loud], mode: all, aggregate: concat, separator: ' / '}
  - id: result
    kind: output
    position: {x: 1300, y: 60}
edges:
  - {source: who.value, target: greet.in}
  - {source: greet.text, target: route.in}
  - {source: route.loud, target: shout.in}
  - {source: greet.text, target: both.plain}
  - {source: shout.text, target: both.loud}
  - {source: both.value, target: result.value}
"""


@pytest.fixture
def no_llm_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.interlock.yaml"
    path.write_text(NO_LLM, encoding="utf-8")
    return path


def test_opens_the_bundled_example(window: MainWindow) -> None:
    assert window.open_path(EXAMPLE)
    workflow = load_workflow(EXAMPLE).workflow
    assert set(window.scene.node_items) == {n.id for n in workflow.nodes}
    assert len(window.scene.edge_items) == len(workflow.edges)
    assert window.windowTitle().startswith(f"{workflow.metadata.name} — hello.interlock.yaml")
    assert not window.isWindowModified()
    assert window.last_report.ok, window.problems.messages()


def test_input_from_the_palette_validates_without_editing_yaml(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer's first workflow: an input node and an output node from the palette,
    connected, validates and saves with the input declared."""
    palette = window.palette_widget
    for kind in ("input", "output"):
        item = palette.item_for(kind)
        assert item is not None
        palette.list.itemDoubleClicked.emit(item)
    source, target = PortRef(node="input", port="value"), PortRef(node="output", port="value")
    assert window.scene.connect_ports(source, target) is None
    report = window.validate_now()
    assert report.ok, window.problems.messages()
    assert [(d.name, d.type) for d in window.document.workflow.inputs] == [("input", "any")]

    target = tmp_path / "first.interlock.yaml"
    monkeypatch.setattr(file_dialogs, "save_file_name", lambda *a, **k: (str(target), ""))
    assert window.save()
    assert [d.name for d in load_workflow(target).workflow.inputs] == ["input"]

    window.scene.select_nodes(["input"])
    window.actions_.delete.trigger()  # the declaration stays: other nodes may read it
    assert not window.document.has_node("input") and window.document.has_input("input")
    while window.undo_stack.canUndo():
        window.undo_stack.undo()
    assert window.document.nodes == [] and window.document.workflow.inputs == []


def test_save_then_load_round_trip(
    window: MainWindow, no_llm_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert window.open_path(no_llm_file)
    window.scene.add_node_of_kind("output", QPointF(1300, 300))
    window.scene.select_nodes(["route"])
    window.actions_.delete.trigger()
    assert window.isWindowModified() and window.windowTitle().endswith("[*] — Interlock")

    target = tmp_path / "copy.interlock.yaml"
    monkeypatch.setattr(file_dialogs, "save_file_name", lambda *a, **k: (str(target), ""))
    window.actions_.save_as.trigger()
    assert not window.isWindowModified() and not window.document.dirty
    assert window.document.path == target

    reloaded = WorkflowDocument.open(target)
    assert reloaded.workflow == window.document.workflow
    assert {n.id for n in reloaded.nodes} == {"who", "greet", "shout", "both", "result", "output"}
    assert window.recent_files()[:2] == [str(target.resolve()), str(no_llm_file.resolve())]


def test_revert_and_undo_back_to_clean(window: MainWindow, no_llm_file: Path) -> None:
    window.open_path(no_llm_file)
    original = load_workflow(no_llm_file).workflow
    window.scene.add_node_of_kind("template", QPointF(0, 300))
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert not window.isWindowModified() and not window.document.dirty
    window.scene.add_node_of_kind("template", QPointF(0, 300))
    window.open_path(no_llm_file, ask=False)  # what Revert does after its question
    assert window.document.workflow == original and window.undo_stack.count() == 0


def test_unsaved_changes_prompt_on_close_and_open(
    qtbot: QtBot, window: MainWindow, no_llm_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_path(no_llm_file)
    window.scene.add_node_of_kind("template", QPointF(0, 300))
    asked: list[bool] = []

    def answer(button: QMessageBox.StandardButton) -> Any:
        def ask() -> QMessageBox.StandardButton:
            asked.append(True)
            return button

        return ask

    monkeypatch.setattr(window, "ask_save_changes", answer(Answer.Cancel))
    assert not window.close()
    assert window.isVisible() and asked == [True]
    assert not window.open_path(no_llm_file)
    assert window.document.has_node("template")

    monkeypatch.setattr(window, "ask_save_changes", answer(Answer.Save))
    window.new_file()  # saves to its path, then starts an empty workflow
    assert load_workflow(no_llm_file).workflow.node("template").kind == "template"
    assert window.document.nodes == [] and window.document.path is None


def test_window_state_and_recent_files_persist(
    qtbot: QtBot, window: MainWindow, no_llm_file: Path, registry: Any
) -> None:
    window.open_path(no_llm_file)
    assert window.close()
    again = MainWindow(registry, window.settings)
    qtbot.addWidget(again)
    assert again.recent_files() == [str(no_llm_file.resolve())]
    recent = again.actions_.recent_menu.actions()
    assert [a.text() for a in recent] == ["demo.interlock.yaml"]
    recent[0].trigger()
    assert again.document.path == no_llm_file.resolve()


def test_run_paints_every_node_succeeded(
    qtbot: QtBot, qloop: Any, window: MainWindow, no_llm_file: Path
) -> None:
    window.open_path(no_llm_file)
    window.actions_.run.trigger()
    assert window.run_controller.running and not window.actions_.run.isEnabled()
    items = window.scene.node_items
    qtbot.waitUntil(
        lambda: all(item.run_state == "succeeded" for item in items.values()), timeout=10_000
    )
    qtbot.waitUntil(lambda: not window.run_controller.running)
    result = window.run_controller.last_result
    assert result is not None and result.status == "succeeded"
    assert result.outputs == {"result": "Hello world / HELLO WORLD!"}
    assert "succeeded" in window.statusBar().currentMessage()
    assert window.actions_.run.isEnabled()


def test_run_refuses_an_invalid_workflow(qloop: Any, window: MainWindow, no_llm_file: Path) -> None:
    window.open_path(no_llm_file)
    window.scene.select_nodes(["greet"])
    window.scene.delete_selection()
    window.actions_.run.trigger()
    assert not window.run_controller.running
    assert window.statusBar().currentMessage().startswith("Cannot run:")
    assert window.problems.messages()


def test_empty_new_window(window: MainWindow) -> None:
    assert isinstance(window.document.workflow, Workflow)
    assert window.windowTitle() == "Untitled — unsaved[*] — Interlock"
    assert window.inspector.node_id is None


def test_copy_in_one_window_paste_in_another(
    qtbot: QtBot, window: MainWindow, no_llm_file: Path, registry: Any, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    window.open_path(no_llm_file)
    window.scene.select_nodes(["greet", "route"])
    window.actions_.copy.trigger()
    other = MainWindow(
        registry,
        QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat),
        db_path=str(tmp_path / "other.db"),
    )
    qtbot.addWidget(other)
    other.actions_.paste.trigger()
    assert [n.id for n in other.document.nodes] == ["greet", "route"]
    assert [str(e.target) for e in other.document.edges] == ["route.in"]
    assert set(other.scene.node_items) == {"greet", "route"}
    other.undo_stack.undo()
    assert other.document.nodes == []


def test_the_app_starts_on_a_new_workflow_and_opens_the_example_as_a_copy(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = start_window(None, str(tmp_path / "runs.db"), settings)
    monkeypatch.setattr(window, "ask_save_changes", lambda: Answer.Discard)
    qtbot.addWidget(window)
    assert window.document.path is None and window.document.nodes == []
    assert window.windowTitle() == "Untitled — unsaved[*] — Interlock"

    before = EXAMPLE.read_bytes()
    window.actions_.open_example.trigger()
    example = load_workflow(EXAMPLE).workflow
    assert set(window.scene.node_items) == {n.id for n in example.nodes}
    assert window.document.path is None and not window.isWindowModified()
    target = tmp_path / "mine.interlock.yaml"
    monkeypatch.setattr(file_dialogs, "save_file_name", lambda *a, **k: (str(target), ""))
    assert window.save()  # asks where: the installed example is never written
    assert window.document.path == target and EXAMPLE.read_bytes() == before

    opened = start_window(str(target), str(tmp_path / "runs.db"), settings)
    qtbot.addWidget(opened)
    assert opened.document.path == target
