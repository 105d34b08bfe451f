"""The agent node on the real bundled model (SmolLM2-135M, greedy): it searches a tiny folder,
saves a note through its scoped write tool and answers; and, offered a tool the workflow does
not grant, it asks for it on its own and is refused in code, recorded and audited.

A 135M model copies the shape of its few-shot examples more than it reads the task, and where
two choices tie its greedy pick follows the CPU's arithmetic. So each scenario shows one
worked example of its own shape, in the very messages the agent sends (the engine's result
text, the line naming a tool at its cap), with every argument it needs spelled out; the rest
is the agent's mechanics: one call per tool, and no final answer before the required tools."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from engine.cli.commands import default_providers
from engine.nodes import builtin_registry
from engine.runtime.engine import Engine, RunResult
from engine.store import SqliteRunStore
from engine.tools.actions import result_message
from engine.trace.events import RunEvent
from engine.workflow.model import Workflow

pytestmark = [pytest.mark.slow, pytest.mark.model]

TOOLS = ["knowledge_search", "file_write"]
MODEL = "smollm2-135m-instruct"


def call(tool: str, **arguments: Any) -> str:
    """A call action in the order the grammar makes the model write it (required arguments
    first, so `query` before `folder`)."""
    return json.dumps({"action": "call_tool", "arguments": arguments, "tool": tool})


def final(answer: str) -> str:
    return json.dumps({"action": "final", "answer": answer})


def returned(tool: str, result: dict[str, Any], *capped: str) -> str:
    """What the agent sends back after a call: the result, then the tools now at their cap."""
    return result_message(tool, result, 2000) + "\nNo longer available: " + ", ".join(capped) + "."


def turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in pairs]


HR = "Employees get 25 vacation days per year."
# Search the folder the task names (left to itself, the model fills the optional `folder`
# argument with a word of the task and is refused), save what was found, answer.
SEARCH_AND_SAVE = turns(
    (
        "user",
        "Task: How many vacation days do employees get? Search the documents in docs, then save "
        "the answer to notes/answer.md.",
    ),
    ("assistant", call("knowledge_search", query="vacation days", folder="docs")),
    (
        "user",
        returned(
            "knowledge_search",
            {
                "query": "vacation days",
                "passages": [{"source": "docs/hr.md", "location": "lines 1-1", "text": HR}],
            },
            "knowledge_search",
        ),
    ),
    ("assistant", call("file_write", content=HR, path="notes/answer.md")),
    (
        "user",
        returned("file_write", {"path": "notes/answer.md", "bytes": 40, "created": True}, *TOOLS),
    ),
    ("assistant", final(HR)),
)
# A note to save needs no search: the model goes straight for file_write.
SAVE = turns(
    ("user", "Task: Save the note: buy milk. Write it to notes/todo.md."),
    ("assistant", call("file_write", content="buy milk", path="notes/todo.md")),
    (
        "user",
        returned(
            "file_write", {"path": "notes/todo.md", "bytes": 8, "created": True}, "file_write"
        ),
    ),
    ("assistant", final("Saved the note to notes/todo.md.")),
)


def agent_workflow(
    task: str, granted: list[str], examples: list[dict[str, str]], **agent: Any
) -> Workflow:
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
                        "tools": TOOLS,
                        "max_steps": 5,
                        "max_tokens": 120,
                        "examples": examples,
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


def search_and_save(task: str, **agent: Any) -> Workflow:
    """Both tools granted and required: `final` is not offered until both have succeeded."""
    return agent_workflow(task, TOOLS, SEARCH_AND_SAVE, required_tools=TOOLS, **agent)


def save_without_grant(task: str, **agent: Any) -> Workflow:
    """file_write offered to the agent but not granted by the workflow."""
    return agent_workflow(task, ["knowledge_search"], SAVE, **agent)


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


def of_type(events: list[RunEvent], kind: str) -> list[Any]:
    return [e for e in events if e.type == kind]


def test_agent_searches_saves_a_note_and_answers(folder: Path) -> None:
    wf = search_and_save(
        "What is the refund window? Search the documents in docs, then save the answer to "
        "notes/answer.md."
    )
    outcome, events, store = run(wf, folder)
    assert outcome.status == "succeeded", outcome.error
    assert of_type(events, "tool_refused") == []  # the search stayed in its granted folder
    calls = [e.tool for e in of_type(events, "tool_succeeded")]
    assert calls == ["knowledge_search", "file_write"]
    # The note holds what the search found, so it was written after the search.
    assert "30 days" in (folder / "notes" / "answer.md").read_text()
    assert "30 days" in outcome.outputs["answer"]
    agent_turns = of_type(events, "agent_turn")
    assert len(agent_turns) == 3 and agent_turns[0].model == MODEL
    trail = [(e.tool, e.action, e.outcome) for e in store.audit_entries()]
    assert ("knowledge_search", "tool_result", "ok") in trail
    assert ("file_write", "tool_result", "ok") in trail
    assert all(e.model == MODEL for e in store.audit_entries())
    store.close()


def test_agent_asks_for_an_ungranted_tool_and_is_refused(folder: Path) -> None:
    wf = save_without_grant("Save the note: meeting moved to 10am. Write it to notes/todo.md.")
    outcome, events, store = run(wf, folder)
    refused = of_type(events, "tool_refused")
    assert refused, [e.type for e in events]
    assert refused[0].tool == "file_write"
    assert "not granted" in refused[0].reason
    # At its cap after the refusal, file_write is no longer offered: asked for once.
    assert [e.tool for e in refused].count("file_write") == 1
    assert of_type(events, "tool_succeeded") == []
    assert not (folder / "notes" / "todo.md").exists()
    assert list((folder / "notes").iterdir()) == []
    # on_refusal: continue; the refusal goes back to the model, which then answers.
    finished = of_type(events, "agent_finished")[-1]
    assert finished.refusals >= 1 and finished.reason == "final"
    assert len(of_type(events, "agent_turn")) >= 2
    assert outcome.status == "succeeded", outcome.error
    audit = [(e.tool, e.outcome) for e in store.audit_entries()]
    assert ("file_write", "refused") in audit
    store.close()
