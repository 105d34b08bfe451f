"""Shared set-up for the MCP tests: a config file of the test's own, registration through
the real `interlock mcp add` command, the test server as an executable file, and runs of
one-node workflows through the real engine with an approver the test controls."""

from __future__ import annotations

import asyncio
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.cli.main import main
from engine.nodes import builtin_registry
from engine.runtime.engine import Engine, RunResult
from engine.store.memory import MemoryRunStore
from engine.trace.events import RunEvent
from engine.workflow.model import Workflow

BIN = Path(sys.executable).parent
FAKE_SERVER = Path(__file__).with_name("fake_server.py")


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test registers servers in its own config file."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("INTERLOCK_CONFIG", str(path))
    return path


def add(*argv: str) -> int:
    """`interlock mcp add …` in this process; its exit code."""
    return main(["mcp", "add", *argv])


@pytest.fixture
def fake_server(tmp_path: Path) -> Path:
    """The test server as an executable script (its own file, so a test may replace it)."""
    path = tmp_path / "bin" / "fake-mcp-server"
    path.parent.mkdir()
    path.write_text(f"#!{sys.executable}\n" + FAKE_SERVER.read_text(encoding="utf-8"))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def tool_workflow(tool: str, arguments: dict[str, Any], **policy: Any) -> Workflow:
    return Workflow.model_validate(
        {
            "metadata": {"name": "mcp"},
            "nodes": [
                {
                    "id": "call",
                    "kind": "tool",
                    "config": {"tool": tool, "arguments": arguments, "inputs": []},
                },
                {"id": "out", "kind": "output"},
            ],
            "edges": [{"source": "call.result", "target": "out.value"}],
            "policy": {"allowed_tools": [tool], **policy},
        }
    )


Approver = Callable[[ApprovalRecord], Any]


class Runner:
    """Runs workflows on one engine (so on one tool registry, read from the config when
    the runner is made) and keeps the events, audit entries and approval requests."""

    def __init__(self, base: Path, decision: str | None = None) -> None:
        self.asked: list[ApprovalRecord] = []
        self.events: list[RunEvent] = []
        self.store = MemoryRunStore()
        self.base = base

        async def approver(record: ApprovalRecord) -> ApprovalDecision:
            self.asked.append(record)
            if decision is None:
                raise AssertionError(f"unexpected approval request: {record.request.title}")
            return ApprovalDecision(decision, "alice")  # type: ignore[arg-type]

        self.engine = Engine(builtin_registry(), store=self.store, approver=approver)

    def __call__(self, workflow: Workflow) -> RunResult:
        return asyncio.run(
            self.engine.run(workflow, {}, base_dir=self.base, subscribers=[self.events.append])
        )

    def many(self, *workflows: Workflow) -> list[RunResult]:
        """Several runs in one event loop (so they share the server sessions)."""

        async def all_of() -> list[RunResult]:
            return [
                await self.engine.run(w, {}, base_dir=self.base, subscribers=[self.events.append])
                for w in workflows
            ]

        return asyncio.run(all_of())

    def types(self) -> list[str]:
        return [e.type for e in self.events if e.type.startswith("tool_")]

    def audit(self) -> list[tuple[str, str, str | None]]:
        return [(e.action, e.outcome, e.tool) for e in self.store.audit_entries()]
