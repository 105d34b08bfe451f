"""The approval dialog for a policy-gated MCP call, through the real window and the real
`mcp-server-git` on a temporary repository: the destructive `git_reset` stops for approval
and shows its tool, its server and its argument; an approver's edit of a call's arguments
is checked against the tool's own input schema (refused with the reason, else what the
server is called with)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop.dialogs.approval_dialog import ApprovalDialog
from desktop.dialogs.tool_call_view import ToolCallView
from desktop.main_window import MainWindow
from engine.mcp.manage import register, set_decision, stdio_registration
from tests.desktop.run_helpers import wait_finished

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def git(repo: Path, *args: str) -> str:
    found = shutil.which("git")
    assert found is not None
    done = subprocess.run([found, *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two commits and one staged change; `mcp-server-git` registered for it (before the
    window's node kinds read the registrations)."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "user.name", "Test")
    for text, message in (("one\n", "first"), ("one\ntwo\n", "second")):
        (path / "notes.md").write_text(text)
        git(path, "add", "notes.md")
        git(path, "commit", "-q", "-m", message)
    (path / "notes.md").write_text("one\ntwo\nthree\n")
    git(path, "add", "notes.md")
    monkeypatch.setenv("INTERLOCK_CONFIG", str(tmp_path / "config.toml"))
    command = [str(BIN / "mcp-server-git"), "-r", str(path)]
    register(stdio_registration("git", command, pass_env=["PATH"]))
    return path


def run_until_dialog(qtbot: QtBot, window: MainWindow) -> ApprovalDialog:
    """Press Run; wait for the approval dialog (the server starts first: a slow machine
    may take a while, hence the long bound on the wait)."""
    opened: list[ApprovalDialog] = []
    window.run_ui.approver.opened.connect(opened.append)
    window.actions_.run.trigger()
    qtbot.waitUntil(lambda: bool(opened), timeout=120_000)
    qtbot.waitUntil(opened[0].isVisible)
    return opened[0]


def tool_file(tmp_path: Path, tool: str, arguments: dict[str, Any]) -> Path:
    workflow = {
        "version": 1,
        "metadata": {"name": "git"},
        "nodes": [
            {
                "id": "call",
                "kind": "tool",
                "position": {"x": 0, "y": 0},
                "config": {"tool": tool, "arguments": arguments, "inputs": []},
            },
            {"id": "out", "kind": "output", "position": {"x": 300, "y": 0}},
        ],
        "edges": [{"source": "call.result", "target": "out.value"}],
        "policy": {"allowed_tools": [tool]},
    }
    path = tmp_path / "git.interlock.yaml"
    path.write_text(json.dumps(workflow), encoding="utf-8")
    return path


def test_git_reset_waits_and_shows_tool_server_and_arguments(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path, repo: Path
) -> None:
    window.open_path(tool_file(tmp_path, "mcp:git/git_reset", {"repo_path": str(repo)}))
    dialog = run_until_dialog(qtbot, window)
    assert git(repo, "diff", "--cached", "--name-only") == "notes.md"  # not called yet
    view = dialog.editor
    assert isinstance(view, ToolCallView)
    heading = view.heading.text()
    assert "Tool <b>git_reset</b> of MCP server <b>git</b>" in heading
    assert "<code>mcp:git/git_reset</code>" in heading and "1 argument" in heading
    assert list(view.fields) == ["repo_path"]
    assert view.fields["repo_path"].text() == str(repo)
    assert view.fields["repo_path"].isReadOnly()
    assert "annotated destructive" in dialog.about.text()
    assert dialog.edit_box.isEnabled()

    dialog.approve_button.click()
    result = wait_finished(qtbot, window, timeout=60_000)
    assert result.status == "succeeded", result.error
    assert git(repo, "diff", "--cached", "--name-only") == ""  # the reset ran, once
    (record,) = window.run_controller.session.store.list_approvals(status=None)
    assert record.decision is not None and record.decision.decision == "approve"


def test_an_edit_is_checked_against_the_tools_schema(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path, repo: Path
) -> None:
    set_decision("git", "git_log", "ask")  # read-only, so allowed unless set to ask
    arguments = {"repo_path": str(repo), "max_count": 5}
    window.open_path(tool_file(tmp_path, "mcp:git/git_log", arguments))
    dialog = run_until_dialog(qtbot, window)
    view = dialog.editor
    assert isinstance(view, ToolCallView)
    assert list(view.fields)[:2] == ["repo_path", "max_count"]
    assert "start_timestamp" in view.fields  # every argument of the schema is offered
    assert view.fields["start_timestamp"].placeholderText() == "(not given)"
    assert view.fields["max_count"].text() == "5"

    dialog.edit_box.setChecked(True)
    assert not view.fields["max_count"].isReadOnly()
    view.fields["max_count"].setText('"2"')
    assert dialog.error.isVisible()
    assert dialog.error.text() == (
        "edited value does not match the schema at arguments/max_count: "
        "'2' is not of type 'integer'"
    )
    dialog.approve_button.click()
    assert dialog.isVisible() and dialog.decision is None  # refused, still open
    view.fields["max_count"].setText("two")
    assert dialog.error.text().startswith("not JSON: argument max_count:")

    view.fields["max_count"].setText("1")
    assert not dialog.error.isVisible()
    dialog.approve_button.click()
    result = wait_finished(qtbot, window, timeout=60_000)
    assert result.status == "succeeded", result.error
    assert result.outputs["out"]["text"].count("Commit: ") == 1  # called with the edit
    (record,) = window.run_controller.session.store.list_approvals(status=None)
    assert record.decision is not None and record.decision.decision == "edit"
    edited = {"tool": "mcp:git/git_log", "arguments": {"repo_path": str(repo), "max_count": 1}}
    assert record.decision.edited_value == edited
