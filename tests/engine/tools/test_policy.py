"""Governance values: approval rule matching, policy checks for `validate`, scope
narrowing as an intersection, and idempotency keys that survive retries."""

from __future__ import annotations

from engine.nodes.toolbox import builtin_tools
from engine.tools.files import FILE_WRITE, FileScope
from engine.tools.http import HTTP_REQUEST, HttpScope
from engine.tools.knowledge import KNOWLEDGE_SEARCH
from engine.tools.policy import ApprovalRule, check_policy, idempotency_key
from engine.workflow.model import WorkflowPolicy


def test_rules_match_by_class_tool_and_arguments() -> None:
    external = ApprovalRule(name="external", side_effects=["external"])
    post = ApprovalRule(name="post", tools=["http_*"], arguments={"method": "POST"})
    drafts = ApprovalRule(
        name="outside drafts", tools=["file_write"], arguments_not={"path": "drafts/*"}
    )
    assert external.matches(HTTP_REQUEST, {"url": "https://x"})
    assert not external.matches(FILE_WRITE, {"path": "a"})
    assert post.matches(HTTP_REQUEST, {"method": "POST", "url": "u"})
    assert not post.matches(HTTP_REQUEST, {"url": "u"})
    assert drafts.matches(FILE_WRITE, {"path": "notes/a.md"})
    assert drafts.matches(FILE_WRITE, {"path": "drafts/../notes/a.md"})
    assert not drafts.matches(FILE_WRITE, {"path": "./drafts//a.md"})
    assert drafts.matches(FILE_WRITE, {})  # a missing argument is gated, not waved through
    assert not drafts.matches(KNOWLEDGE_SEARCH, {"query": "x"})


def test_check_policy_reports_every_problem() -> None:
    policy = WorkflowPolicy(
        allowed_tools=["file_read", "nope"],
        tool_scopes={"file_read": {"roots": [{"path": "d", "mode": "rw"}]}, "ghost": {}},
        approval_rules=[{"name": "ok", "tools": ["file_write"]}, {"tools": ["x"]}],
    )
    problems = check_policy(policy, builtin_tools())
    assert len(problems) == 4
    assert any("approval_rules[1].name" in p for p in problems)
    assert check_policy(WorkflowPolicy(allowed_tools=["file_read"]), builtin_tools()) == []


def test_narrowing_is_an_intersection() -> None:
    granted = HttpScope(
        allow=["https://api.example.com/v1/", "*.example.org"],
        methods=["GET", "POST"],
        private_hosts=["127.0.0.1:80"],
        timeout_s=10,
    )
    asked = HttpScope(
        allow=[
            "https://api.example.com/v1/items",
            "https://api.example.com/v2/",
            "a.example.org",
            "*",
        ],
        methods=["POST", "DELETE"],
        private_hosts=["127.0.0.1:81"],
        timeout_s=60,
    )
    narrowed = granted.narrow(asked)
    assert narrowed.allow == ["https://api.example.com/v1/items", "a.example.org"]
    assert (
        narrowed.methods == ["POST"] and narrowed.private_hosts == [] and narrowed.timeout_s == 10
    )
    files = FileScope.model_validate(
        {"roots": [{"path": "docs", "mode": "read"}, {"path": "out", "mode": "write"}]}
    )
    wanted = FileScope.model_validate(
        {
            "roots": [
                {"path": "docs/a", "mode": "write"},
                {"path": "out", "mode": "write"},
                {"path": "..", "mode": "read"},
                {"path": "/etc", "mode": "read"},
            ],
            "max_bytes": 10**8,
        }
    )
    got = files.narrow(wanted)
    assert [(r.path, r.mode) for r in got.roots] == [("docs/a", "read"), ("out", "write")]
    assert got.max_bytes == files.max_bytes


def test_idempotency_key_is_stable_per_call_and_distinct_across_calls() -> None:
    key = idempotency_key("run", "node", "http_request", {"url": "u", "body": "b"}, 0)
    assert key == idempotency_key("run", "node", "http_request", {"body": "b", "url": "u"}, 0)
    assert key != idempotency_key("run", "node", "http_request", {"url": "u", "body": "b"}, 1)
    assert key != idempotency_key("run2", "node", "http_request", {"url": "u", "body": "b"}, 0)
