"""Runs for report tests, made by the real Engine on a real SQLite store: a rich run (parallel
branches, a retry, tool calls and a refusal, an llm call escalated from a local to a remote
scripted provider, an edited approval), a failed run, a crashed-then-resumed run and a run
that waited for a deferred approval. Canary secrets are planted in inputs, outputs and tool
arguments."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.providers.base import ModelRequest, ModelResult, ProviderRegistry, TokenCallback
from engine.runtime.approval_gate import defer
from engine.runtime.engine import Engine, RunResult
from engine.store.sqlite import SqliteRunStore
from engine.workflow.model import Workflow
from tests.support.kinds import make_registry

CANARY = "sk-canary7f3a9c2e5b1d4f60a8e2"
"""Token-shaped: redacted wherever it appears as a value."""
CANARY_PLAIN = "hunter2-plain-canary-91b7"
"""Not token-shaped: redacted only because it sits under a secret-named key."""
CANARIES = ("canary7f3a9c2e5b1d4f60a8e2", CANARY_PLAIN)


class ScriptedProvider:
    """A provider answering from a script; `remote` marks it as a remote endpoint."""

    def __init__(self, name: str, model: str, replies: Sequence[str], remote: bool) -> None:
        self.name, self.model, self.remote = name, model, remote
        self.replies = list(replies)

    def models(self) -> list[str]:
        return [self.model]

    async def generate(
        self, model: str, request: ModelRequest, on_token: TokenCallback | None = None
    ) -> ModelResult:
        reply = self.replies.pop(0)
        try:
            value = json.loads(reply)
            valid = isinstance(value, dict) and "label" in value
        except json.JSONDecodeError:
            value, valid = None, False
        return ModelResult(
            reply,
            model,
            self.name,
            prompt_tokens=40,
            completion_tokens=8,
            cost_usd=0.0 if not self.remote else 0.0125,
            json_value=value,
            json_valid=valid,
            json_error=None if valid else "missing label",
        )


def workflow(
    nodes: list[dict[str, Any]],
    edges: list[tuple[str, str]],
    name: str = "report test",
    **extra: Any,
) -> Workflow:
    return Workflow.model_validate(
        {
            "version": 1,
            "metadata": {"name": name},
            "nodes": nodes,
            "edges": [{"source": s, "target": t} for s, t in edges],
            **extra,
        }
    )


def store_at(path: Path) -> SqliteRunStore:
    return SqliteRunStore(path)


def _run(engine: Engine, wf: Workflow, inputs: dict[str, Any], base: Path | None) -> RunResult:
    return asyncio.run(engine.run(wf, inputs, base_dir=base))


SCHEMA = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}


def rich_run(store: SqliteRunStore, base: Path) -> RunResult:
    (base / "docs").mkdir(parents=True, exist_ok=True)
    (base / "docs" / "notes.md").write_text(f"meeting notes; deploy key {CANARY}\n" * 3)
    counter = base / "flaky.count"
    wf = workflow(
        [
            {"id": "topic", "kind": "input"},
            {"id": "creds", "kind": "input"},
            {"id": "left", "kind": "test_sleep", "config": {"seconds": 0.06}},
            {"id": "right", "kind": "test_sleep", "config": {"seconds": 0.09}},
            {
                "id": "flaky",
                "kind": "test_flaky",
                "config": {"fail_times": 1, "counter_file": str(counter), "value": "recovered"},
                "policy": {"retry": {"max_attempts": 2, "initial_delay_s": 0.04, "jitter": 0}},
            },
            {
                "id": "read",
                "kind": "tool",
                "config": {"tool": "file_read", "arguments": {"path": "docs/notes.md"}},
            },
            {
                "id": "write",
                "kind": "tool",
                "config": {
                    "tool": "file_write",
                    "arguments": {"path": f"docs/{CANARY}.md", "content": "{{ in }}"},
                },
                "policy": {"on_error": "continue"},
            },
            {
                "id": "classify",
                "kind": "llm",
                "config": {
                    "system": "You label support tickets.",
                    "prompt": "Label this: {{ in }}",
                    "output_schema": SCHEMA,
                    "route": {"escalate": {"on_schema_failure": True, "to": "big-remote"}},
                },
            },
            {
                "id": "gate",
                "kind": "approval",
                "config": {"title": "Publish label?", "summary": "Label {{ proposed }}"},
            },
            {"id": "label", "kind": "output"},
            {"id": "notes", "kind": "output"},
            {"id": "both", "kind": "output"},
        ],
        [
            ("topic.value", "left.in"),
            ("topic.value", "right.in"),
            ("topic.value", "flaky.in"),
            ("topic.value", "read.in"),
            ("topic.value", "write.in"),
            ("flaky.out", "classify.in"),
            ("classify.json", "gate.in"),
            ("gate.approved", "label.value"),
            ("read.result", "notes.value"),
            ("right.out", "both.value"),
        ],
        name="triage tickets",
        inputs=[
            {"name": "topic", "default": f"printer on fire, token {CANARY}"},
            {"name": "creds", "type": "object"},
        ],
        policy={
            "allowed_tools": ["file_read"],
            "tool_scopes": {"file_read": {"roots": [{"path": "docs", "mode": "read"}]}},
            "max_parallelism": 4,
        },
    )
    local = ScriptedProvider("local", "tiny-local", ["not json at all"], remote=False)
    remote = ScriptedProvider("remote:cloud", "big-remote", ['{"label": "hardware"}'], remote=True)

    async def edit(record: ApprovalRecord) -> ApprovalDecision:
        await asyncio.sleep(0.03)
        return ApprovalDecision("edit", "ana", "more precise", {"label": "hardware/printer"})

    engine = Engine(
        make_registry(),
        ProviderRegistry([local, remote], default_model="tiny-local"),
        store,
        approver=edit,
    )
    return _run(engine, wf, {"creds": {"api_key": CANARY_PLAIN, "user": "ops"}}, base)


def failed_run(store: SqliteRunStore, base: Path) -> RunResult:
    wf = workflow(
        [
            {"id": "x", "kind": "input"},
            {
                "id": "boom",
                "kind": "test_flaky",
                "config": {"fail_times": 5, "counter_file": str(base / "boom.count")},
                "policy": {"retry": {"max_attempts": 2, "initial_delay_s": 0.01, "jitter": 0}},
            },
            {"id": "o", "kind": "output"},
        ],
        [("x.value", "boom.in"), ("boom.out", "o.value")],
        name="always fails",
        inputs=[{"name": "x", "default": "go"}],
    )
    return _run(Engine(make_registry(), store=store), wf, {}, base)


def chain_workflow() -> Workflow:
    nodes: list[dict[str, Any]] = [{"id": "x", "kind": "input"}]
    edges = [("x.value", "s0.in")]
    for i in range(5):
        nodes.append({"id": f"s{i}", "kind": "test_sleep", "config": {"seconds": 0.01}})
        if i:
            edges.append((f"s{i - 1}.out", f"s{i}.in"))
    nodes.append({"id": "o", "kind": "output"})
    edges.append(("s4.out", "o.value"))
    return workflow(nodes, edges, name="chain", inputs=[{"name": "x", "default": "v"}])


def crashed_and_resumed(source: SqliteRunStore, target: SqliteRunStore) -> str:
    """Run a chain in `source`, copy its events up to s2's start into `target` (as if the
    process died there) and resume it in `target`."""
    result = _run(Engine(make_registry(), store=source), chain_workflow(), {}, None)
    events = source.events(result.run_id)
    cut = next(i for i, e in enumerate(events) if e.type == "node_started" and e.node_id == "s2")
    version = source.get_workflow(source.get_run(result.run_id).workflow_hash)  # type: ignore[union-attr]
    assert version is not None
    target.save_workflow(version)
    target.append_events(events[: cut + 1])
    resumed = asyncio.run(Engine(make_registry(), store=target).resume(result.run_id))
    assert resumed.status == "succeeded", resumed.error
    return result.run_id


def approval_run(store: SqliteRunStore) -> str:
    """A run that paused on a deferred approval, was decided (edited) and resumed."""
    wf = workflow(
        [
            {"id": "msg", "kind": "input"},
            {"id": "gate", "kind": "approval", "config": {"title": "Send it?"}},
            {"id": "sent", "kind": "output"},
        ],
        [("msg.value", "gate.in"), ("gate.approved", "sent.value")],
        name="needs a person",
        inputs=[{"name": "msg", "type": "object", "default": {"to": "ana", "body": "hi"}}],
    )
    first = _run(Engine(make_registry(), store=store, approver=defer), wf, {}, None)
    assert first.status == "waiting_approval"
    (pending,) = store.list_approvals(run_id=first.run_id)
    edited = {"to": "bob", "body": "hi"}
    store.decide_approval(pending.request_id, ApprovalDecision("edit", "lead", "to bob", edited))
    engine = Engine(make_registry(), store=store, approver=defer)
    second = asyncio.run(engine.resume(first.run_id))
    assert second.status == "succeeded", second.error
    return first.run_id
