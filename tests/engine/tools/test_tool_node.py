"""The `tool` node kind in real runs: every built-in tool, grants, scope narrowing (never
widening), approval rules with a real approver, idempotency keys, events and audit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.audit import verify_chain
from engine.nodes import builtin_registry
from engine.runtime.engine import Engine, RunResult
from engine.store.memory import MemoryRunStore
from engine.trace.events import RunEvent
from engine.workflow.model import Workflow
from tests.engine.tools.servers import Listener


def workflow(config: dict[str, Any], policy: dict[str, Any], inputs: list[str] = ()) -> Workflow:
    nodes: list[dict[str, Any]] = [{"id": name, "kind": "input"} for name in inputs]
    nodes += [
        {"id": "call", "kind": "tool", "config": {"inputs": list(inputs), **config}},
        {"id": "out", "kind": "output"},
    ]
    edges = [{"source": f"{n}.value", "target": f"call.{n}"} for n in inputs]
    edges.append({"source": "call.result", "target": "out.value"})
    return Workflow.model_validate(
        {
            "metadata": {"name": "t"},
            "inputs": [{"name": n} for n in inputs],
            "nodes": nodes,
            "edges": edges,
            "policy": policy,
        }
    )


class Run:
    def __init__(self, base: Path, approver: Any = None) -> None:
        self.store = MemoryRunStore()
        self.events: list[RunEvent] = []
        kwargs = {"approver": approver} if approver is not None else {}
        self.engine = Engine(builtin_registry(), store=self.store, **kwargs)
        self.base = base

    def __call__(self, wf: Workflow, **inputs: Any) -> RunResult:
        return asyncio.run(
            self.engine.run(wf, inputs, base_dir=self.base, subscribers=[self.events.append])
        )

    def types(self) -> list[str]:
        return [e.type for e in self.events if e.type.startswith("tool_")]


def files_policy(mode: str = "write", **extra: Any) -> dict[str, Any]:
    scope = {"roots": [{"path": "docs", "mode": mode}]}
    tools = ["file_read", "file_write", "file_list"]
    return {"allowed_tools": tools, "tool_scopes": {t: scope for t in tools}, **extra}


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "docs" / "drafts").mkdir(parents=True)
    (tmp_path / "docs" / "a.md").write_text("alpha")
    return tmp_path


def test_file_tools_with_templated_arguments(base: Path) -> None:
    run = Run(base)
    wf = workflow(
        {
            "tool": "file_write",
            "arguments": {"path": "docs/{{ name }}.md", "content": "Hi {{ name }}"},
        },
        files_policy(),
        inputs=["name"],
    )
    result = run(wf, name="bob")
    assert result.status == "succeeded", result.error
    assert result.outputs["out"] == {"path": "docs/bob.md", "bytes": 6, "created": True}
    assert (base / "docs" / "bob.md").read_text() == "Hi bob"
    assert run.types() == ["tool_called", "tool_succeeded"]
    called = next(e for e in run.events if e.type == "tool_called")
    assert called.idempotency_key and called.side_effect == "write"  # type: ignore[attr-defined]
    trail = run.store.audit_entries()
    assert [(e.action, e.outcome) for e in trail] == [
        ("tool_call", "started"),
        ("tool_result", "ok"),
    ]
    assert trail[0].run_id == result.run_id and trail[0].node_id == "call"
    assert verify_chain(trail).ok
    listed = run(workflow({"tool": "file_list", "arguments": {"path": "docs"}}, files_policy()))
    assert {e["name"] for e in listed.outputs["out"]["entries"]} == {"a.md", "bob.md", "drafts"}
    read = run(workflow({"tool": "file_read", "arguments": {"path": "docs/a.md"}}, files_policy()))
    assert read.outputs["out"]["content"] == "alpha"


def test_tool_not_granted_is_refused_and_audited(base: Path) -> None:
    run = Run(base)
    policy = files_policy()
    policy["allowed_tools"] = ["file_read"]
    result = run(
        workflow({"tool": "file_write", "arguments": {"path": "docs/x", "content": "x"}}, policy)
    )
    assert result.status == "failed" and "not granted" in (result.error or "")
    assert not (base / "docs" / "x").exists()
    assert run.types() == ["tool_refused"]
    [audit] = run.store.audit_entries()
    assert (audit.action, audit.outcome, audit.tool) == ("tool_call", "refused", "file_write")


def test_node_scope_narrows_but_never_widens(base: Path) -> None:
    run = Run(base)
    narrowed = {"roots": [{"path": "docs/drafts", "mode": "write"}]}
    ok = run(
        workflow(
            {
                "tool": "file_write",
                "scopes": narrowed,
                "arguments": {"path": "docs/drafts/n.md", "content": "n"},
            },
            files_policy(),
        )
    )
    assert ok.status == "succeeded", ok.error
    outside_narrow = run(
        workflow(
            {
                "tool": "file_write",
                "scopes": narrowed,
                "arguments": {"path": "docs/a.md", "content": "n"},
            },
            files_policy(),
        )
    )
    assert outside_narrow.status == "failed" and "outside" in (outside_narrow.error or "")
    # Asking for more than the grant: a wider root and write mode on a read-only grant.
    wider = {"roots": [{"path": ".", "mode": "write"}, {"path": "docs", "mode": "write"}]}
    widened = run(
        workflow(
            {
                "tool": "file_write",
                "scopes": wider,
                "arguments": {"path": "docs/a.md", "content": "changed"},
            },
            files_policy(mode="read"),
        )
    )
    assert widened.status == "failed" and "read-only" in (widened.error or "")
    escape = run(
        workflow(
            {"tool": "file_read", "scopes": wider, "arguments": {"path": "x.txt"}},
            files_policy(mode="read"),
        )
    )
    assert escape.status == "failed" and "outside" in (escape.error or "")
    assert (base / "docs" / "a.md").read_text() == "alpha"


GATED = {
    "approval_rules": [
        {
            "name": "writes outside drafts",
            "tools": ["file_write"],
            "arguments_not": {"path": "docs/drafts/*"},
        }
    ]
}


def test_approval_rule_without_approver_fails_closed(base: Path) -> None:
    run = Run(base)
    result = run(
        workflow(
            {"tool": "file_write", "arguments": {"path": "docs/b.md", "content": "b"}},
            files_policy(**GATED),
        )
    )
    assert result.status == "failed" and not (base / "docs" / "b.md").exists()
    outcomes = [(e.action, e.outcome) for e in run.store.audit_entries()]
    assert ("approval_gate", "requested") in outcomes
    assert ("approval_gate", "rejected") in outcomes or ("approval_gate", "unavailable") in outcomes
    # A write inside drafts/ matches no rule and needs nobody.
    inside = run(
        workflow(
            {"tool": "file_write", "arguments": {"path": "./docs//drafts/ok.md", "content": "ok"}},
            files_policy(**GATED),
        )
    )
    assert inside.status == "succeeded", inside.error


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_approval_rule_with_a_real_approver(base: Path, decision: str) -> None:
    asked: list[ApprovalRecord] = []

    async def approver(record: ApprovalRecord) -> ApprovalDecision:
        asked.append(record)
        return ApprovalDecision(decision, "alice", "checked")  # type: ignore[arg-type]

    run = Run(base, approver=approver)
    result = run(
        workflow(
            {"tool": "file_write", "arguments": {"path": "docs/b.md", "content": "b"}},
            files_policy(**GATED),
        )
    )
    [record] = asked
    assert record.request.kind == "policy_gate" and record.request.rule == "writes outside drafts"
    assert record.request.proposed == {
        "tool": "file_write",
        "arguments": {"path": "docs/b.md", "content": "b"},
    }
    written = (base / "docs" / "b.md").exists()
    assert written is (decision == "approve")
    assert result.status == ("succeeded" if decision == "approve" else "failed")
    gate = [e.outcome for e in run.store.audit_entries() if e.action == "approval_gate"]
    assert gate == ["requested", "approved" if decision == "approve" else "rejected"]
    assert "tool_gated" in run.types()


def test_http_tool_node_sends_idempotency_key_and_pins_host(canary: Listener, base: Path) -> None:
    scope = {
        "allow": [f"http://localhost:{canary.port}/api/"],
        "methods": ["GET", "POST"],
        "private_hosts": [f"localhost:{canary.port}"],
    }
    policy = {
        "allowed_tools": ["http_request"],
        "tool_scopes": {"http_request": scope},
        "approval_rules": [
            {"name": "every POST", "tools": ["http_request"], "arguments": {"method": "POST"}}
        ],
    }

    async def approve(record: ApprovalRecord) -> ApprovalDecision:
        return ApprovalDecision("approve", "bob")

    run = Run(base, approver=approve)
    config = {
        "tool": "http_request",
        "arguments": {
            "method": "POST",
            "url": f"http://localhost:{canary.port}/api/items",
            "headers": {"Authorization": "Bearer supersecrettoken123"},
            "body": "{{ payload }}",
        },
    }
    result = run(workflow(config, policy, inputs=["payload"]), payload="hello")
    assert result.status == "succeeded", result.error
    [request] = canary.requests
    assert request["method"] == "POST" and request["body"] == "hello"
    assert request["headers"]["Host"] == f"localhost:{canary.port}"
    key = request["headers"]["Idempotency-Key"]
    called = next(e for e in run.events if e.type == "tool_called")
    assert key == called.idempotency_key  # type: ignore[attr-defined]
    assert "supersecrettoken123" not in repr(run.events) + repr(run.store.audit_entries())
    # Outside the allowed prefix, or a method not granted: refused before any connection.
    canary.reset()
    for url, method in (
        (f"http://localhost:{canary.port}/admin", "GET"),
        (f"http://localhost:{canary.port}/api/x", "DELETE"),
    ):
        config = {"tool": "http_request", "arguments": {"method": method, "url": url}}
        assert run(workflow(config, policy)).status == "failed"
    assert not canary.touched


def test_http_response_size_limit(canary: Listener, base: Path) -> None:
    scope = {
        "allow": ["*"],
        "private_hosts": [f"127.0.0.1:{canary.port}"],
        "max_response_bytes": 1000,
    }
    policy = {"allowed_tools": ["http_request"], "tool_scopes": {"http_request": scope}}
    result = Run(base)(
        workflow(
            {"tool": "http_request", "arguments": {"url": f"http://127.0.0.1:{canary.port}/big"}},
            policy,
        )
    )
    assert result.status == "succeeded", result.error
    assert len(result.outputs["out"]["body"]) == 1000 and result.outputs["out"]["truncated"]


def test_sql_query_is_read_only_and_bounded(base: Path) -> None:
    db = sqlite3.connect(base / "shop.db")
    db.execute("CREATE TABLE items (name TEXT, price REAL)")
    db.executemany("INSERT INTO items VALUES (?, ?)", [(f"i{n}", n) for n in range(50)])
    db.commit()
    db.close()
    scope = {"databases": {"shop": "shop.db"}, "max_rows": 10, "timeout_s": 0.5}
    policy = {
        "allowed_tools": ["sql_query", "sql_execute"],
        "tool_scopes": {"sql_query": scope, "sql_execute": scope},
    }
    run = Run(base)

    def query(sql: str, tool: str = "sql_query") -> RunResult:
        return run(workflow({"tool": tool, "arguments": {"database": "shop", "sql": sql}}, policy))

    rows = query("SELECT name, price FROM items WHERE price < 3 ORDER BY price")
    assert rows.outputs["out"]["rows"] == [["i0", 0.0], ["i1", 1.0], ["i2", 2.0]]
    many = query("SELECT * FROM items")
    assert len(many.outputs["out"]["rows"]) == 10 and many.outputs["out"]["truncated"]
    for sql in (
        "DELETE FROM items",
        "INSERT INTO items VALUES ('x', 1)",
        "DROP TABLE items",
        f"ATTACH DATABASE '{base / 'other.db'}' AS o",
        "PRAGMA query_only = OFF",
    ):
        assert query(sql).status == "failed", sql
    assert not (base / "other.db").exists()
    slow = query(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    )
    assert slow.status == "failed"
    assert query("SELECT 1", tool="sql_query").status == "succeeded"
    changed = query("DELETE FROM items WHERE price > 40", tool="sql_execute")
    assert changed.status == "succeeded" and changed.outputs["out"]["changes"] == 9
    other = run(
        workflow(
            {"tool": "sql_query", "arguments": {"database": "nope", "sql": "SELECT 1"}}, policy
        )
    )
    assert other.status == "failed" and "not granted" in (other.error or "")


def test_sql_time_limit(base: Path) -> None:
    sqlite3.connect(base / "t.db").close()
    policy = {
        "allowed_tools": ["sql_query"],
        "tool_scopes": {"sql_query": {"databases": {"t": "t.db"}, "timeout_s": 0.2}},
    }
    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    result = Run(base)(
        workflow({"tool": "sql_query", "arguments": {"database": "t", "sql": sql}}, policy)
    )
    assert result.status == "failed" and "longer than" in (result.error or "")


def test_workflow_tool_runs_a_granted_child(base: Path) -> None:
    (base / "child.interlock.yaml").write_text(
        "version: 1\nmetadata: {name: child}\ninputs: [{name: who}]\n"
        "nodes:\n  - {id: who, kind: input}\n"
        "  - {id: greet, kind: template, config: {inputs: [w], template: 'hello {{ w }}'}}\n"
        "  - {id: greeting, kind: output}\n"
        "edges:\n  - {source: who.value, target: greet.w}\n"
        "  - {source: greet.text, target: greeting.value}\n"
    )
    policy = {
        "allowed_tools": ["workflow"],
        "tool_scopes": {"workflow": {"workflows": {"greeter": "child.interlock.yaml"}}},
    }
    run = Run(base)
    result = run(
        workflow(
            {"tool": "workflow", "arguments": {"workflow": "greeter", "inputs": {"who": "ann"}}},
            policy,
        )
    )
    assert result.status == "succeeded", result.error
    assert result.outputs["out"]["outputs"] == {"greeting": "hello ann"}
    denied = run(workflow({"tool": "workflow", "arguments": {"workflow": "other"}}, policy))
    assert denied.status == "failed" and "not granted" in (denied.error or "")


def test_invalid_arguments_are_rejected_before_the_call(base: Path) -> None:
    run = Run(base)
    result = run(
        workflow({"tool": "file_write", "arguments": {"path": "docs/z.md"}}, files_policy())
    )
    assert result.status == "failed" and "content" in (result.error or "")
    assert not (base / "docs" / "z.md").exists()
    assert [e.outcome for e in run.store.audit_entries()] == ["invalid"]
