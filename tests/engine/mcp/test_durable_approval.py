"""A run waiting on an MCP tool's approval is durable: `run --approve defer` stops with
exit 3 and starts nothing destructive; `interlock approve` in a new process continues the
run, and the destructive call is made once, under the idempotency key in the audit trail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.mcp.conftest import BIN
from tests.engine.mcp.test_real_servers import repo, staged  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
INTERLOCK = Path(sys.executable).parent / "interlock"

WORKFLOW = """\
version: 1
metadata:
  name: Unstage
inputs:
  - name: repo
nodes:
  - id: repo
    kind: input
  - id: reset
    kind: tool
    config:
      tool: mcp:git/git_reset
      inputs: [repo]
      arguments:
        repo_path: '{{ repo }}'
  - id: out
    kind: output
edges:
  - source: repo.value
    target: reset.repo
  - source: reset.result
    target: out.value
policy:
  offline: true
  allowed_tools: [mcp:git/git_reset]
"""


def test_an_approval_survives_the_process_and_the_call_is_made_once(
    repo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "INTERLOCK_CONFIG": str(tmp_path / "config.toml"),
        "INTERLOCK_DB": str(tmp_path / "runs.db"),
        "INTERLOCK_DATA_DIR": str(tmp_path / "data"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(INTERLOCK), *args], env=env, capture_output=True, text=True, timeout=300
        )

    added = cli("mcp", "add", "git", "--pass-env", "PATH", "--", str(BIN / "mcp-server-git"))
    assert added.returncode == 0, added.stderr
    (tmp_path / "unstage.interlock.yaml").write_text(WORKFLOW)
    waiting = cli(
        "run", str(tmp_path / "unstage.interlock.yaml"), "-i", f"repo={repo}",
        "--approve", "defer", "--json",
    )  # fmt: skip
    assert waiting.returncode == 3, waiting.stderr
    run_id = json.loads(waiting.stdout)["run_id"]
    assert staged(repo) == "notes.md"
    pending = json.loads(cli("approvals", "--json").stdout)
    [request] = [p["request"] for p in pending if p["request"]["run_id"] == run_id]
    assert request["proposed"] == {
        "tool": "mcp:git/git_reset",
        "arguments": {"repo_path": str(repo)},
    }

    approved = cli("approve", run_id, "reset", "--as", "alice")
    assert approved.returncode == 0, approved.stderr
    assert staged(repo) == ""
    trail = [json.loads(line) for line in cli("audit", "export").stdout.splitlines()[:-1]]
    calls = [e for e in trail if e["tool"] == "mcp:git/git_reset"]
    results = [e for e in calls if e["action"] == "tool_result" and e["outcome"] == "ok"]
    assert len(results) == 1
    [started] = [e for e in calls if e["action"] == "tool_call" and e["outcome"] == "started"]
    assert len(started["detail"]["idempotency"]) == 40
