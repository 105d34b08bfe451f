"""Real MCP servers from PyPI through the real engine: mcp-server-time offline in a tool
node and in an agent; mcp-server-git on a temporary repository, where the read-only
`git_status` runs and the destructive `git_reset` stops for a person's approval."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from engine.audit import verify_chain
from engine.cli.main import main
from engine.nodes import builtin_registry
from engine.providers.base import ProviderRegistry
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from engine.trace.events import RunEvent
from engine.workflow.model import Workflow
from tests.engine.mcp.conftest import BIN, Runner, add, tool_workflow
from tests.engine.tools.test_agent_loop import ScriptedProvider

pytestmark = pytest.mark.slow


@pytest.fixture
def time_server() -> None:
    assert add("time", "--", str(BIN / "mcp-server-time"), "--local-timezone", "UTC") == 0


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit and one staged change."""
    git = shutil.which("git")
    assert git is not None
    path = tmp_path / "repo"
    path.mkdir()

    def run(*args: str) -> None:
        subprocess.run([git, *args], cwd=path, check=True, capture_output=True)

    run("init", "-q", "-b", "main")
    run("config", "user.email", "test@example.com")
    run("config", "user.name", "Test")
    (path / "notes.md").write_text("one\n")
    run("add", "notes.md")
    run("commit", "-q", "-m", "first")
    (path / "notes.md").write_text("one\ntwo\n")
    run("add", "notes.md")
    return path


@pytest.fixture
def git_server(repo: Path) -> None:
    assert add("git", "--pass-env", "PATH", "--", str(BIN / "mcp-server-git"), "-r", str(repo)) == 0


def staged(repo: Path) -> str:
    return subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()


def test_time_server_in_a_tool_node_offline(time_server: None, tmp_path: Path) -> None:
    run = Runner(tmp_path)
    result = run(
        tool_workflow("mcp:time/get_current_time", {"timezone": "Europe/Paris"}, offline=True)
    )
    assert result.status == "succeeded", result.error
    answer = json.loads(result.outputs["out"]["text"])
    assert answer["timezone"] == "Europe/Paris" and answer["datetime"][:2] == "20"
    assert result.outputs["out"]["truncated"] is False
    assert run.types() == ["tool_called", "tool_succeeded"]
    called = next(e for e in run.events if e.type == "tool_called")
    assert called.side_effect == "read"  # type: ignore[attr-defined]
    assert run.audit() == [
        ("tool_call", "started", "mcp:time/get_current_time"),
        ("tool_result", "ok", "mcp:time/get_current_time"),
    ]
    assert verify_chain(run.store.audit_entries()).ok
    assert not run.asked  # read-only: allowed without asking


def test_arguments_are_checked_against_the_input_schema_before_the_call(
    time_server: None, tmp_path: Path
) -> None:
    run = Runner(tmp_path)
    result = run(tool_workflow("mcp:time/convert_time", {"source_timezone": 5}))
    assert result.status == "failed"
    assert "do not match the schema" in (result.error or "")
    failed = next(e for e in run.events if e.type == "tool_failed")
    assert failed.error_class == "validation"  # type: ignore[attr-defined]
    assert ("tool_result", "ok", "mcp:time/convert_time") not in run.audit()


def test_a_server_tool_the_workflow_does_not_grant_is_refused(
    time_server: None, tmp_path: Path
) -> None:
    wf = tool_workflow("mcp:time/get_current_time", {"timezone": "UTC"})
    wf.policy.allowed_tools = ["mcp:time/convert_time"]
    run = Runner(tmp_path)
    result = run(wf)
    assert result.status == "failed" and "not granted" in (result.error or "")
    assert run.audit() == [("tool_call", "refused", "mcp:time/get_current_time")]


def test_git_status_runs_and_git_reset_waits_for_approval(
    git_server: None, repo: Path, tmp_path: Path
) -> None:
    rejecting = Runner(tmp_path, decision="reject")
    status = rejecting(tool_workflow("mcp:git/git_status", {"repo_path": str(repo)}))
    assert status.status == "succeeded", status.error
    assert "notes.md" in status.outputs["out"]["text"] and not rejecting.asked

    reset = tool_workflow("mcp:git/git_reset", {"repo_path": str(repo)})
    refused = rejecting(reset)
    assert refused.status == "failed" and staged(repo) == "notes.md"
    [record] = rejecting.asked
    request = record.request
    assert request.kind == "policy_gate" and "annotated destructive" in (request.rule or "")
    assert request.proposed == {"tool": "mcp:git/git_reset", "arguments": {"repo_path": str(repo)}}

    approving = Runner(tmp_path, decision="approve")
    done = approving(reset)
    assert done.status == "succeeded", done.error
    assert staged(repo) == "" and len(approving.asked) == 1
    called = next(e for e in approving.events if e.type == "tool_called")
    key = called.idempotency_key  # type: ignore[attr-defined]
    assert called.side_effect == "write" and key  # type: ignore[attr-defined]
    started = next(e for e in approving.store.audit_entries() if e.outcome == "started")
    assert started.detail["idempotency"] == key
    gate = [e.outcome for e in approving.store.audit_entries() if e.action == "approval_gate"]
    assert gate == ["requested", "approved"]


def test_mcp_test_lists_tools_with_annotations_and_decisions(
    git_server: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mcp", "test", "git", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    tools = {t["tool"]: t for t in shown["tools"]}
    assert tools["mcp:git/git_status"]["decision"] == "allow"
    assert tools["mcp:git/git_status"]["annotations"]["readOnlyHint"] is True
    assert tools["mcp:git/git_reset"]["decision"] == "ask"
    assert tools["mcp:git/git_reset"]["why"] == "annotated destructive"
    assert tools["mcp:git/git_commit"]["side_effect"] == "write"


def test_an_agent_calls_a_granted_mcp_tool(time_server: None, tmp_path: Path) -> None:
    wf = Workflow.model_validate(
        {
            "metadata": {"name": "agent"},
            "nodes": [
                {
                    "id": "agent",
                    "kind": "agent",
                    "config": {"inputs": [], "task": "What time is it?", "tools": ["mcp:time/*"]},
                },
                {"id": "out", "kind": "output"},
            ],
            "edges": [{"source": "agent.answer", "target": "out.value"}],
            "policy": {"allowed_tools": ["mcp:time/*"], "offline": True},
        }
    )
    call: dict[str, Any] = {
        "action": "call_tool",
        "tool": "mcp:time/get_current_time",
        "arguments": {"timezone": "UTC"},
    }
    provider = ScriptedProvider([call, {"action": "final", "answer": "noon"}])
    events: list[RunEvent] = []
    engine = Engine(builtin_registry(), ProviderRegistry([provider]), MemoryRunStore())
    result = asyncio.run(engine.run(wf, {}, base_dir=tmp_path, subscribers=[events.append]))
    assert result.status == "succeeded", result.error
    system = provider.requests[0].messages[0].content
    assert "mcp:time/get_current_time(" in system and "mcp:time/convert_time(" in system
    fed = provider.requests[1].messages[-1].content
    assert "Result of mcp:time/get_current_time" in fed and '\\"timezone\\": \\"UTC\\"' in fed
    assert [e.type for e in events if e.type.startswith("tool_")] == [
        "tool_called",
        "tool_succeeded",
    ]
