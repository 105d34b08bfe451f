"""An approver edits a gated MCP call's arguments: the request shows the tool and every
argument with the tool's schema, an edit that breaks the schema is refused with the reason,
and an accepted edit is what the server is called with (and what the audit records) —
in the run's own process and through `interlock approve --edit` in a new one."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.approvals.validate import check_decision
from engine.mcp.manage import set_decision
from engine.nodes import builtin_registry
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from tests.engine.mcp.conftest import BIN, add, tool_workflow

pytestmark = pytest.mark.slow
TOOL = "mcp:time/get_current_time"


def test_the_approver_edits_the_arguments(tmp_path: Path) -> None:
    assert add("time", "--", str(BIN / "mcp-server-time")) == 0
    set_decision("time", "get_current_time", "ask")
    asked: list[ApprovalRecord] = []
    problems: list[str | None] = []

    async def approver(record: ApprovalRecord) -> ApprovalDecision:
        asked.append(record)
        request = record.request
        wrong = ApprovalDecision("edit", "alice", "", {"tool": TOOL, "arguments": {"timezone": 5}})
        swapped = {"tool": "mcp:time/convert_time", "arguments": {"timezone": "UTC"}}
        other = ApprovalDecision("edit", "alice", "", swapped)
        problems.extend([check_decision(request, wrong), check_decision(request, other)])
        edited = {"tool": TOOL, "arguments": {"timezone": "Asia/Tokyo"}}
        decision = ApprovalDecision("edit", "alice", "Tokyo, not Paris", edited)
        assert check_decision(request, decision) is None
        return decision

    store = MemoryRunStore()
    engine = Engine(builtin_registry(), store=store, approver=approver)
    workflow = tool_workflow(TOOL, {"timezone": "Europe/Paris"})
    result = asyncio.run(engine.run(workflow, {}, base_dir=tmp_path))

    assert result.status == "succeeded", result.error
    request = asked[0].request
    assert request.kind == "policy_gate" and request.allow_edit
    assert request.proposed == {"tool": TOOL, "arguments": {"timezone": "Europe/Paris"}}
    assert request.schema is not None
    assert request.schema["properties"]["arguments"]["required"] == ["timezone"]
    assert problems[0] == (
        "edited value does not match the schema at arguments/timezone: 5 is not of type 'string'"
    )
    assert problems[1] is not None and "tool" in problems[1]
    assert json.loads(result.outputs["out"]["text"])["timezone"] == "Asia/Tokyo"
    started = [
        e for e in store.audit_entries() if e.action == "tool_call" and e.outcome == "started"
    ]
    assert [e.arguments for e in started] == [{"timezone": "Asia/Tokyo"}]


def test_interlock_approve_edit_in_a_new_process(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "INTERLOCK_CONFIG": str(tmp_path / "cli-config.toml"),
        "INTERLOCK_DB": str(tmp_path / "runs.db"),
        "INTERLOCK_DATA_DIR": str(tmp_path / "data"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(BIN / "interlock"), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert cli("mcp", "add", "time", "--", str(BIN / "mcp-server-time")).returncode == 0
    assert cli("mcp", "set", "time", "get_current_time", "ask").returncode == 0
    path = tmp_path / "now.interlock.yaml"
    workflow = tool_workflow(TOOL, {"timezone": "Europe/Paris"}, offline=True)
    path.write_text(json.dumps(workflow.model_dump(mode="json", exclude_none=True)))
    waiting = cli("run", str(path), "--approve", "defer", "--json")
    assert waiting.returncode == 3, waiting.stderr
    run_id = json.loads(waiting.stdout)["run_id"]

    wrong = json.dumps({"tool": TOOL, "arguments": {"timezone": 5}})
    refused = cli("approve", run_id, "call", "--as", "alice", "--edit", wrong)
    assert refused.returncode != 0
    assert "arguments/timezone: 5 is not of type 'string'" in refused.stderr

    edit = json.dumps({"tool": TOOL, "arguments": {"timezone": "Asia/Tokyo"}})
    approved = cli("approve", run_id, "call", "--as", "alice", "--edit", edit, "--json")
    assert approved.returncode == 0, approved.stderr
    done = json.loads(approved.stdout)
    assert done["status"] == "succeeded"
    assert json.loads(done["outputs"]["out"]["text"])["timezone"] == "Asia/Tokyo"
