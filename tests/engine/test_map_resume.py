"""A resumed map runs only the items its interrupted attempt did not finish: each item
ends in one `map_item` event, kept across a failure or a SIGKILLed process, and the run's
totals count every item once, child runs' tokens included (the real bundled model, in
process and through `interlock run`)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.providers.base import ProviderRegistry
from engine.providers.local import default_local_provider
from engine.runtime.engine import Engine
from engine.store.sqlite import SqliteRunStore
from engine.trace.events import MapItemDone, NodeLog, RunEvent
from local_models import SMOLLM2_ID
from tests.engine.helpers import wf
from tests.engine.test_crash_resume import interlock, kill_when, newest_run, read_events
from tests.support.kinds import make_registry


def _reading_map(names: list[str], item_policy: dict[str, Any] | None = None) -> Any:
    """Read each named file under docs/, one item at a time."""
    return wf(
        [
            {"id": "names", "kind": "input"},
            {
                "id": "each",
                "kind": "map",
                "config": {
                    "template": {
                        "kind": "tool",
                        "config": {"tool": "file_read", "arguments": {"path": "{{ in }}"}},
                    },
                    "result_port": "result",
                    "max_parallelism": 1,
                    **({"item_policy": item_policy} if item_policy else {}),
                },
            },
            {"id": "out", "kind": "output"},
        ],
        [("names.value", "each.items"), ("each.results", "out.value")],
        inputs=[{"name": "names", "type": "array", "default": names}],
        policy={
            "allowed_tools": ["file_read"],
            "tool_scopes": {"file_read": {"roots": [{"path": "docs", "mode": "read"}]}},
        },
    )


def test_a_resumed_map_runs_only_the_items_not_yet_done(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    names = [f"docs/{n}.txt" for n in "abcd"]
    for name in names[:2] + names[3:]:
        (tmp_path / name).write_text(name)
    store = SqliteRunStore(tmp_path / "runs.db")
    engine = Engine(make_registry(), store=store, use_cache=False)
    first = asyncio.run(engine.run(_reading_map(names), {}, base_dir=tmp_path))
    assert first.status == "failed" and "item 2" in (first.error or "")

    (tmp_path / names[2]).write_text(names[2])
    (tmp_path / names[0]).write_text("changed: a finished item is not read again")
    events: list[RunEvent] = []
    second = asyncio.run(
        engine.resume(first.run_id, subscribers=[events.append], base_dir=tmp_path)
    )
    assert second.status == "succeeded", second.error
    results = second.outputs["out"]
    assert [r["content"] for r in results] == names  # item 0 kept from the first attempt
    assert [e.index for e in events if isinstance(e, MapItemDone)] == [2, 3]
    logs = [e.message for e in events if isinstance(e, NodeLog)]
    assert "resumed: 2 of 4 items were done; running the rest" in logs
    recorded = [e for e in store.events(first.run_id) if isinstance(e, MapItemDone)]
    assert sorted(e.index for e in recorded) == [0, 1, 2, 3]


def test_a_failed_item_under_collect_is_kept_as_failed(tmp_path: Path) -> None:
    """Items that ended, failed or not, are the map's record: a resume keeps both."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("a")
    flow = _reading_map(["docs/a.txt", "docs/missing.txt"], {"on_error": "collect"})
    store = SqliteRunStore(tmp_path / "runs.db")
    engine = Engine(make_registry(), store=store, use_cache=False)
    done = asyncio.run(engine.run(flow, {}, base_dir=tmp_path))
    assert done.status == "succeeded", done.error
    items = [e for e in store.events(done.run_id) if isinstance(e, MapItemDone)]
    assert [(e.index, e.ok) for e in items] == [(0, True), (1, False)]
    assert items[1].value["item"] == "docs/missing.txt"


CHILD = f"""\
version: 1
metadata: {{name: read and say}}
inputs: [{{name: item}}]
policy:
  allowed_tools: [file_read]
  tool_scopes: {{file_read: {{roots: [{{path: docs, mode: read}}]}}}}
nodes:
  - {{id: item, kind: input}}
  - {{id: read, kind: tool, config: {{tool: file_read, arguments: {{path: "{{{{ in }}}}"}}}}}}
  - id: say
    kind: llm
    config: {{model: {SMOLLM2_ID}, prompt: "Repeat: {{{{ in.content }}}}", max_tokens: 4,
             temperature: 0}}
  - {{id: out, kind: output}}
edges:
  - {{source: item.value, target: read.in}}
  - {{source: read.result, target: say.in}}
  - {{source: say.text, target: out.value}}
"""


@pytest.mark.slow
@pytest.mark.model
def test_a_map_of_child_runs_failed_and_resumed_counts_each_items_tokens_once(
    tmp_path: Path,
) -> None:
    """Child runs spend outside the map's own calls: the attempt that failed still counts
    the items it finished, so the resumed run's total is a clean run's total."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "child.interlock.yaml").write_text(CHILD)
    names = [f"docs/{n}.txt" for n in "abc"]
    flow = wf(
        [
            {"id": "names", "kind": "input"},
            {
                "id": "each",
                "kind": "map",
                "config": {
                    "workflow": "child.interlock.yaml",
                    "result_port": "out",
                    "max_parallelism": 1,
                },
            },
            {"id": "out", "kind": "output"},
        ],
        [("names.value", "each.items"), ("each.results", "out.value")],
        inputs=[{"name": "names", "type": "array", "default": names}],
    )
    for name in names[:2]:
        (tmp_path / name).write_text(name)
    store = SqliteRunStore(tmp_path / "runs.db")
    providers = ProviderRegistry([default_local_provider()], default_model=SMOLLM2_ID)
    engine = Engine(make_registry(), providers, store=store, use_cache=False)
    first = asyncio.run(engine.run(flow, {}, base_dir=tmp_path))
    assert first.status == "failed" and "item 2" in (first.error or "")
    (tmp_path / names[2]).write_text(names[2])
    second = asyncio.run(engine.resume(first.run_id, base_dir=tmp_path))
    assert second.status == "succeeded", second.error

    clean = asyncio.run(engine.run(flow, {}, base_dir=tmp_path))
    assert clean.status == "succeeded" and clean.outputs == second.outputs
    assert clean.tokens > 0
    assert second.tokens == clean.tokens  # the two items kept from the failed attempt too
    record = store.get_run(first.run_id)
    assert record is not None
    assert record.prompt_tokens + record.completion_tokens == clean.tokens


# ---- a process killed mid-map, on the real model ---------------------------------------

TOPICS = ["rain", "bread", "owls", "trains", "salt", "moss"]


def model_map_file(folder: Path, topics: list[str], max_parallelism: int = 1) -> Path:
    """A map of the bundled model over `topics`: one short greedy sentence each."""
    data = {
        "version": 1,
        "metadata": {"name": "model map"},
        "inputs": [{"name": "topics", "type": "array", "default": topics}],
        "nodes": [
            {"id": "topics", "kind": "input"},
            {
                "id": "each",
                "kind": "map",
                "config": {
                    "template": {
                        "kind": "llm",
                        "config": {
                            "model": SMOLLM2_ID,
                            "prompt": "One short sentence about {{ in }}.",
                            "max_tokens": 12,
                            "temperature": 0,
                        },
                    },
                    "result_port": "text",
                    "max_parallelism": max_parallelism,
                },
            },
            {"id": "out", "kind": "output"},
        ],
        "edges": [
            {"source": "topics.value", "target": "each.items"},
            {"source": "each.results", "target": "out.value"},
        ],
    }
    path = folder / "model-map.interlock.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def map_items_committed(db: Path) -> int:
    """How many `map_item` events are committed in `db` (0 before its schema exists)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            row = connection.execute("SELECT count(*) FROM events WHERE type = 'map_item'")
            return int(row.fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
@pytest.mark.model
def test_a_killed_model_map_resumes_its_unfinished_items_and_counts_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.engine.test_crash_resume as crash

    workflow = model_map_file(tmp_path, TOPICS)
    reference = interlock("run", workflow, "--db", tmp_path / "ref.db", "--json", "--quiet")
    assert reference.returncode == 0, reference.stderr
    expected = json.loads(reference.stdout)

    db = tmp_path / "runs.db"
    # SIGKILL once two items are committed: the third is then in flight (one at a time).
    monkeypatch.setattr(crash, "committed_events", map_items_committed)
    kill_when(["run", str(workflow), "--no-cache"], db, 2)
    run_id, status = newest_run(db)
    assert status == "running"
    before = [e for e in read_events(db, run_id) if e.type == "map_item"]
    assert 2 <= len(before) < len(TOPICS)

    done = interlock("resume", run_id, "--db", db, "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded"
    assert summary["outputs"] == expected["outputs"]

    items = [e for e in read_events(db, run_id) if e.type == "map_item"]
    assert sorted(e.data["index"] for e in items) == list(range(len(TOPICS)))  # once each
    assert items[: len(before)] == before  # what the killed process finished stayed
    used = sum(e.data["prompt_tokens"] + e.data["completion_tokens"] for e in items)
    assert summary["tokens"] == used == expected["tokens"]


SAY_THEN_READ = f"""\
version: 1
metadata: {{name: say then read}}
inputs: [{{name: item}}]
policy:
  allowed_tools: [file_read]
  tool_scopes: {{file_read: {{roots: [{{path: docs, mode: read}}]}}}}
nodes:
  - {{id: item, kind: input}}
  - id: say
    kind: llm
    config: {{model: {SMOLLM2_ID}, prompt: "Repeat: {{{{ in }}}}", max_tokens: 4,
             temperature: 0}}
  - {{id: read, kind: tool, config: {{tool: file_read, arguments: {{path: docs/gone.txt}}}}}}
  - {{id: out, kind: output}}
edges:
  - {{source: item.value, target: say.in}}
  - {{source: say.text, target: read.in}}
  - {{source: read.result, target: out.value}}
"""


@pytest.mark.slow
@pytest.mark.model
def test_a_failed_subworkflow_counts_what_its_child_run_spent(tmp_path: Path) -> None:
    """The child's model call happened: the parent's totals say so, as for a failed llm
    node's own calls."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "child.interlock.yaml").write_text(SAY_THEN_READ)
    flow = wf(
        [
            {"id": "item", "kind": "input"},
            {"id": "sub", "kind": "subworkflow", "config": {"workflow": "child.interlock.yaml"}},
            {"id": "out", "kind": "output"},
        ],
        [("item.value", "sub.item"), ("sub.outputs", "out.value")],
        inputs=[{"name": "item", "default": "tea"}],
    )
    store = SqliteRunStore(tmp_path / "runs.db")
    providers = ProviderRegistry([default_local_provider()], default_model=SMOLLM2_ID)
    engine = Engine(make_registry(), providers, store=store, use_cache=False)
    parent = asyncio.run(engine.run(flow, {}, base_dir=tmp_path))
    assert parent.status == "failed"
    (child,) = store.child_runs(parent.run_id)
    assert child.status == "failed" and child.prompt_tokens + child.completion_tokens > 0
    assert parent.tokens == child.prompt_tokens + child.completion_tokens
    record = store.get_run(parent.run_id)
    assert record is not None and record.prompt_tokens == child.prompt_tokens
