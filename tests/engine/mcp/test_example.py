"""The MCP example (resources/examples/mcp_git): on a clone of its sample repository, with
the real git server registered, it validates, and its agent reads the log (allowed) while
its attempt to unstage changes stops for approval and, rejected, changes nothing. The
model is scripted here; the example itself runs on the bundled local model."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.cli.main import main
from engine.nodes import builtin_registry
from engine.providers.base import ProviderRegistry
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from engine.trace.events import RunEvent
from engine.workflow.loader import load_workflow
from tests.engine.mcp.conftest import BIN, add
from tests.engine.tools.test_agent_loop import ScriptedProvider

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[3] / "resources" / "examples" / "mcp_git"


def test_the_agent_summarises_and_unstaging_waits_for_a_person(tmp_path: Path) -> None:
    git = shutil.which("git")
    assert git is not None
    repo = tmp_path / "weather-station"
    subprocess.run(
        [git, "clone", "-q", str(EXAMPLE / "weather-station.bundle"), str(repo)], check=True
    )
    (repo / "notes.txt").write_text("draft\n")
    subprocess.run([git, "add", "notes.txt"], cwd=repo, check=True)
    assert add("git", "--pass-env", "PATH", "--", str(BIN / "mcp-server-git"), "-r", str(repo)) == 0
    example = EXAMPLE / "recent_changes.interlock.yaml"
    assert main(["validate", str(example)]) == 0

    log = {"repo_path": str(repo), "max_count": 5}
    provider = ScriptedProvider(
        [
            {"action": "call_tool", "tool": "mcp:git/git_log", "arguments": log},
            {
                "action": "call_tool",
                "tool": "mcp:git/git_reset",
                "arguments": {"repo_path": str(repo)},
            },
            {"action": "final", "answer": "- Frost warning\n- Sensor read errors\n- Daily log"},
        ]
    )
    asked: list[ApprovalRecord] = []

    async def approver(record: ApprovalRecord) -> ApprovalDecision:
        asked.append(record)
        return ApprovalDecision("reject", "alice", "not now")

    events: list[RunEvent] = []
    engine = Engine(
        builtin_registry(), ProviderRegistry([provider]), MemoryRunStore(), approver=approver
    )
    workflow = load_workflow(example).workflow
    result = asyncio.run(
        engine.run(workflow, {"repo": str(repo)}, base_dir=EXAMPLE, subscribers=[events.append])
    )
    assert result.status == "succeeded", result.error
    fed = [m.content for m in provider.requests[1].messages if m.role == "user"][-1]
    assert "Frost warning at or below 0 C" in fed and "Ada Example" in fed
    [record] = asked
    assert record.request.rule == "unstaging changes needs a person"
    refusal = [m.content for m in provider.requests[2].messages if m.role == "user"][-1]
    assert refusal.startswith("REFUSED") and "rejected by alice" in refusal
    staged = subprocess.run(
        [git, "diff", "--cached", "--name-only"], cwd=repo, capture_output=True, text=True
    )
    assert staged.stdout.strip() == "notes.txt"
