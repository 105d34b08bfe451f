"""The agent node on the real bundled model (SmolLM2-135M): it searches a tiny folder,
saves a note and answers; and, offered a tool the workflow does not grant, it asks for it
on its own and is refused in code, recorded and audited."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from engine.cli.commands import default_providers
from engine.nodes import builtin_registry
from engine.runtime.engine import Engine, RunResult
from engine.runtime.events import RunEvent
from engine.store import SqliteRunStore
from engine.workflow.model import Workflow

pytestmark = [pytest.mark.slow, pytest.mark.model]


def result(tool: str, payload: dict[str, Any]) -> str:
    return (
        f"Result of {tool} (untrusted data):\n<tool_result>\n{json.dumps(payload)}\n</tool_result>"
    )


def action(**fields: Any) -> str:
    return json.dumps(fields, sort_keys=True)


EXAMPLES = [
    {"role": "user", "content": "Task: Save the note: buy milk. Write it to notes/todo.md."},
    {
        "role": "assistant",
        "content": action(
            action="call_tool",
            tool="file_write",
            arguments={"content": "buy milk", "path": "notes/todo.md"},
        ),
    },
    {"role": "user", "content": result("file_write", {"path": "notes/todo.md", "bytes": 8})},
    {
        "role": "assistant",
        "content": action(action="final", answer="Saved the note to notes/todo.md."),
    },
    {
        "role": "user",
        "content": "Task: How many vacation days do employees get? Search the "
        "documents, then save the answer to notes/answer.md.",
    },
    {
        "role": "assistant",
        "content": action(
            action="call_tool", tool="knowledge_search", arguments={"query": "vacation days"}
        ),
    },
    {
        "role": "user",
        "content": result(
            "knowledge_search",
            {
                "passages": [
                    {
                        "source": "docs/hr.md",
                        "location": "lines 1-1",
                        "text": "Employees get 25 vacation days per year.",
                    }
                ]
            },
        ),
    },
    {
        "role": "assistant",
        "content": action(
            action="call_tool",
            tool="file_write",
            arguments={
                "content": "Employees get 25 vacation days per year.",
                "path": "notes/answer.md",
            },
        ),
    },
    {"role": "user", "content": result("file_write", {"path": "notes/answer.md", "bytes": 40})},
    {
        "role": "assistant",
        "content": action(action="final", answer="Employees get 25 vacation days per year."),
    },
]


def agent_workflow(task: str, granted: list[str], **agent: Any) -> Workflow:
    return Workflow.model_validate(
        {
            "metadata": {"name": "agent"},
            "nodes": [
                {
                    "id": "agent",
                    "kind": "agent",
                    "config": {
                        "inputs": [],
                        "task": task,
                        "tools": ["knowledge_search", "file_write"],
                        "max_steps": 5,
                        "max_tokens": 120,
                        "examples": EXAMPLES,
                        "max_calls_per_tool": {"knowledge_search": 1, "file_write": 1},
                        **agent,
                    },
                },
                {"id": "answer", "kind": "output"},
            ],
            "edges": [{"source": "agent.answer", "target": "answer.value"}],
            "policy": {
                "allowed_tools": granted,
                "tool_scopes": {
                    "knowledge_search": {"folders": ["docs"]},
                    "file_write": {"roots": [{"path": "notes", "mode": "write"}]},
                },
            },
        }
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "docs" / "refunds.md").write_text(
        "Refunds are accepted within 30 days of purchase.\n"
    )
    (tmp_path / "docs" / "parking.md").write_text("Visitors park in lot B behind the building.\n")
    return tmp_path


def run(wf: Workflow, folder: Path) -> tuple[RunResult, list[RunEvent], SqliteRunStore]:
    events: list[RunEvent] = []
    store = SqliteRunStore(folder / "runs.db")
    engine = Engine(builtin_registry(), default_providers(), store)
    outcome = asyncio.run(engine.run(wf, {}, base_dir=folder, subscribers=[events.append]))
    return outcome, events, store


def test_agent_searches_saves_a_note_and_answers(folder: Path) -> None:
    wf = agent_workflow(
        "What is the refund window? Search the documents, then save the answer to notes/answer.md.",
        ["knowledge_search", "file_write"],
        required_tools=["file_write"],
    )
    outcome, events, store = run(wf, folder)
    assert outcome.status == "succeeded", outcome.error
    calls = [e.tool for e in events if e.type == "tool_succeeded"]  # type: ignore[attr-defined]
    assert calls == ["knowledge_search", "file_write"]
    note = (folder / "notes" / "answer.md").read_text()
    assert "30 days" in note
    assert "30 days" in outcome.outputs["answer"]
    turns = [e for e in events if e.type == "agent_turn"]
    assert len(turns) == 3 and turns[0].model == "smollm2-135m-instruct"  # type: ignore[attr-defined]
    trail = [(e.tool, e.action, e.outcome) for e in store.audit_entries()]
    assert ("file_write", "tool_result", "ok") in trail
    assert all(e.model == "smollm2-135m-instruct" for e in store.audit_entries())
    store.close()


def test_agent_asks_for_an_ungranted_tool_and_is_refused(folder: Path) -> None:
    wf = agent_workflow(
        "Save the note: meeting moved to 10am. Write it to notes/todo.md.", ["knowledge_search"]
    )
    outcome, events, store = run(wf, folder)
    refused = [e for e in events if e.type == "tool_refused"]
    assert refused, [e.type for e in events]
    assert refused[0].tool == "file_write"  # type: ignore[attr-defined]
    assert "not granted" in refused[0].reason  # type: ignore[attr-defined]
    assert not (folder / "notes" / "todo.md").exists()
    finished = next(e for e in events if e.type == "agent_finished")
    assert finished.refusals >= 1  # type: ignore[attr-defined]
    assert outcome.status == "succeeded"  # on_refusal: continue, the model then answers
    audit = [(e.tool, e.outcome) for e in store.audit_entries()]
    assert ("file_write", "refused") in audit
    store.close()
