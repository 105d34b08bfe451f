"""The inspector's tool picker with the real `mcp-server-time` registered: opening the list
starts the server in a worker thread and lists its tools beside the built-in ones; picking
one is an undo command on the node; a tool the workflow does not grant is offered a Grant
button, itself an undo command on the workflow policy. An agent's tool list adds tools
from the same picker."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import desktop.mcp_tools
from desktop.inspector.tool_picker import ToolListEditor, ToolPickerEditor
from desktop.main_window import MainWindow
from engine.mcp.manage import register, stdio_registration
from engine.workflow.model import Workflow

BIN = Path(sys.executable).parent
TIME = "mcp:time/get_current_time"
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def time_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERLOCK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setattr(desktop.mcp_tools, "_catalog", None)  # listings of this test only
    register(stdio_registration("time", [str(BIN / "mcp-server-time")]))


def workflow(kind: str, config: dict[str, Any]) -> Workflow:
    return Workflow.model_validate(
        {
            "metadata": {"name": "picker"},
            "nodes": [{"id": "n", "kind": kind, "config": config}],
            "policy": {"allowed_tools": ["file_read"]},
        }
    )


def texts(editor: ToolPickerEditor | ToolListEditor) -> list[str]:
    combo = editor.picker.combo
    return [combo.itemText(i) for i in range(combo.count())]


def open_and_list(qtbot: QtBot, editor: ToolPickerEditor | ToolListEditor) -> None:
    combo = editor.picker.combo
    assert "mcp:time — list this server's tools" in texts(editor)
    assert combo.findData(TIME) < 0
    combo.showPopup()  # opening the list lists the servers not listed yet
    assert "mcp:time — listing its tools…" in texts(editor)
    qtbot.waitUntil(lambda: combo.findData(TIME) >= 0, timeout=30_000)
    combo.hidePopup()


def test_pick_an_mcp_tool_and_grant_it(qtbot: QtBot, qloop: Any, window: MainWindow) -> None:
    window._load(workflow("tool", {"tool": "file_read", "inputs": []}), None)
    window.scene.select_nodes(["n"])
    assert window.inspector.config_form is not None
    editor = window.inspector.config_form.editor("tool")
    assert isinstance(editor, ToolPickerEditor)
    picker = editor.picker
    assert picker.combo.currentData() == "file_read"
    assert "✓ file_read" in texts(editor) and "   http_request" in " ".join(texts(editor))
    assert picker.grant_button.isHidden()  # file_read is granted

    open_and_list(qtbot, editor)
    shown = texts(editor)
    assert f"   {TIME}   · allow" in shown  # not granted (no ✓); annotated read-only: allow
    assert "mcp:time/convert_time" in " ".join(shown)

    picker.choose(TIME)
    assert window.document.node("n").config["tool"] == TIME
    assert window.undo_stack.undoText() == "Edit tool of n"
    assert "mcp:time (read, allow)" in picker.about.text()
    assert "timezone (string, required)" in picker.about.text()
    assert not picker.grant_button.isHidden()
    assert picker.grant_note.text() == (
        f"Not granted by the workflow's policy.allowed_tools: a run refuses {TIME}."
    )

    picker.grant_button.click()
    assert window.document.workflow.policy.allowed_tools == ["file_read", TIME]
    assert picker.grant_button.isHidden()
    assert picker.combo.itemText(picker.combo.findData(TIME)).startswith(f"✓ {TIME}")

    window.undo_stack.undo()  # the grant
    assert window.document.workflow.policy.allowed_tools == ["file_read"]
    assert not picker.grant_button.isHidden()
    window.undo_stack.undo()  # the pick
    assert window.document.node("n").config["tool"] == "file_read"
    assert editor.picker.combo.currentData() == "file_read"


def test_an_agent_adds_mcp_tools_from_the_picker(
    qtbot: QtBot, qloop: Any, window: MainWindow
) -> None:
    window._load(workflow("agent", {"task": "What time is it?", "tools": ["file_read"]}), None)
    window.scene.select_nodes(["n"])
    assert window.inspector.config_form is not None
    editor = window.inspector.config_form.editor("tools")
    assert isinstance(editor, ToolListEditor)
    assert editor.line.text() == "file_read"
    open_and_list(qtbot, editor)
    editor.picker.choose(TIME)
    assert window.document.node("n").config["tools"] == ["file_read", TIME]
    assert editor.line.text() == f"file_read, {TIME}"
    editor.picker.grant_button.click()
    assert window.document.workflow.policy.allowed_tools == ["file_read", TIME]


def test_a_tool_of_an_unregistered_server_says_so(window: MainWindow) -> None:
    window._load(workflow("tool", {"tool": "mcp:gone/thing", "inputs": []}), None)
    window.scene.select_nodes(["n"])
    assert window.inspector.config_form is not None
    editor = window.inspector.config_form.editor("tool")
    assert isinstance(editor, ToolPickerEditor)
    assert editor.picker.combo.currentText() == "mcp:gone/thing   (not listed)"
    assert editor.picker.about.text() == (
        "No MCP server 'gone' is registered: add it on the Tool sources page of Models and "
        "Endpoints."
    )
    assert not editor.picker.grant_button.isHidden()
