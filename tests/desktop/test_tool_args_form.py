"""A tool node's arguments as a form from the chosen tool's input schema: text, numbers,
choices and true/false through their own fields, `{{ templates }}` kept as text, bad values
refused with the reason and the model unchanged, each edit one undo step, the rows
following the chosen tool, JSON for the rest, saved and reopened."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from desktop.canvas.commands import SetConfigCommand
from desktop.inspector.inspector import InspectorWidget
from desktop.inspector.tool_args_form import ToolArgsEditor
from engine.nodes.base import NodeRegistry
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import load_workflow, loads_workflow

TOOL = """version: 1
metadata: {name: t}
nodes:
  - id: fetch
    kind: tool
    config:
      tool: knowledge_search
      arguments: {query: '{{ in }}'}
"""


def _view(qtbot: QtBot, document: WorkflowDocument, registry: NodeRegistry) -> InspectorWidget:
    view = InspectorWidget(document, registry, QUndoStack())
    qtbot.addWidget(view)
    view.resize(420, 1000)
    view.show()
    view.show_node("fetch")
    return view


def _line(view: InspectorWidget, name: str) -> QLineEdit:
    found = view.findChild(QLineEdit, name)
    assert found is not None, name
    return found


def _type(line: QLineEdit, text: str) -> None:
    line.setFocus()
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)


def _arguments(document: WorkflowDocument) -> dict:  # type: ignore[type-arg]
    return document.node("fetch").config.get("arguments", {})


def test_arguments_form_follows_the_schema(
    qtbot: QtBot, registry: NodeRegistry, tmp_path: Path
) -> None:
    document = WorkflowDocument(loads_workflow(TOOL).workflow)
    view = _view(qtbot, document, registry)
    stack = view.undo_stack
    assert isinstance(view.config_form.editor("arguments"), ToolArgsEditor)
    labels = {w.text() for w in view.findChildren(QLabel)}
    assert {"query *", "folder", "limit"} <= labels
    assert _line(view, "arg_query").text() == "{{ in }}"

    limit = _line(view, "arg_limit")
    _type(limit, "ten")
    assert view.errors.text() == (
        "Arguments: limit: should be a whole number or a {{ template }}, not 'ten'"
    )
    assert _arguments(document) == {"query": "{{ in }}"} and stack.count() == 0
    _type(limit, "5")
    assert _arguments(document) == {"query": "{{ in }}", "limit": 5}
    _type(limit, "{{ size }}")
    assert _arguments(document)["limit"] == "{{ size }}"
    _type(_line(view, "arg_folder"), "notes")
    assert _arguments(document) == {"query": "{{ in }}", "limit": "{{ size }}", "folder": "notes"}
    assert stack.count() == 3
    stack.undo()
    assert "folder" not in _arguments(document)
    assert _line(view, "arg_folder").text() == ""
    stack.redo()

    path = document.save(tmp_path / "t.interlock.yaml")
    again = _view(qtbot, WorkflowDocument(load_workflow(path).workflow), registry)
    assert _line(again, "arg_limit").text() == "{{ size }}"
    assert _line(again, "arg_folder").text() == "notes"


def test_rows_follow_the_chosen_tool_and_json_keeps_the_rest(
    qtbot: QtBot, registry: NodeRegistry
) -> None:
    document = WorkflowDocument(loads_workflow(TOOL).workflow)
    view = _view(qtbot, document, registry)
    stack = view.undo_stack
    config = {"tool": "file_write", "arguments": {"path": "out.txt", "content": "{{ in }}"}}
    stack.push(SetConfigCommand(document, "fetch", config))
    assert view.findChild(QLineEdit, "arg_limit") is None
    mode = view.findChild(QComboBox, "arg_mode")
    assert mode is not None and mode.currentText() == "(not set)"
    mode.setCurrentIndex(mode.findData("create"))
    mode.activated.emit(mode.currentIndex())
    assert _arguments(document)["mode"] == "create"
    dirs = view.findChild(QComboBox, "arg_create_dirs")
    dirs.setCurrentIndex(dirs.findData(True))
    dirs.activated.emit(dirs.currentIndex())
    assert _arguments(document)["create_dirs"] is True

    hatch = view.config_form.editor("arguments").hatch
    hatch.toggle.click()
    hatch.text.setPlainText("[1, 2]")
    hatch.apply.click()
    assert view.errors.text() == ('Arguments: should be a JSON object like {"path": "notes.txt"}')
    before = dict(_arguments(document))
    hatch.text.setPlainText('{"path": "a.txt", "content": "x", "extra": {"deep": [1]}}')
    hatch.apply.click()
    assert _arguments(document) == {"path": "a.txt", "content": "x", "extra": {"deep": [1]}}
    assert _line(view, "arg_other").text() == '{"extra": {"deep": [1]}}'
    stack.undo()
    assert _arguments(document) == before
