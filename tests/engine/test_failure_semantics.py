"""Failure handling where features meet: a failing map item next to a write tool, per-item
retry and error policies, joins that count only successful arrivals, work that is no longer
needed being cancelled, and fallbacks labelled in the store."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from engine.runtime.engine import Engine, RunResult
from engine.store.sqlite import SqliteRunStore
from engine.trace.events import TERMINAL_NODE_EVENTS, RunEvent
from engine.workflow.loader import save_workflow
from tests.engine.helpers import run, wf
from tests.support.kinds import make_registry

FILES = ["file_write"]


def files_policy() -> dict[str, Any]:
    scope = {"roots": [{"path": "docs", "mode": "write"}]}
    return {"allowed_tools": FILES, "tool_scopes": {t: scope for t in FILES}}


def writes_map(**config: Any) -> Any:
    """A map writing one file per item with the real file_write tool."""
    template = {
        "kind": "tool",
        "config": {
            "tool": "file_write",
            "arguments": {"path": "docs/{{ in }}.txt", "content": "item {{ in }}"},
        },
    }
    return wf(
        [
            {"id": "xs", "kind": "input"},
            {"id": "m", "kind": "map", "config": {"template": template, **config}},
            {"id": "o", "kind": "output"},
        ],
        [("xs.value", "m.items"), ("m.results", "o.value")],
        inputs=[{"name": "xs", "type": "array"}],
        policy=files_policy(),
    )


def after_terminal(events: list[RunEvent], node_id: str) -> list[str]:
    """Events of `node_id` recorded after its terminal event."""
    ends = [
        i
        for i, e in enumerate(events)
        if e.node_id == node_id and isinstance(e, TERMINAL_NODE_EVENTS)
    ]
    assert ends, f"{node_id} never ended"
    return [e.type for e in events[ends[0] + 1 :] if e.node_id == node_id]


def test_a_failing_map_item_cancels_the_others_before_they_write(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    # Item 0 escapes the granted folder and is refused; items 1..3 wait for the one slot.
    result, events = run(
        writes_map(max_parallelism=1), {"xs": ["../outside", "a", "b", "c"]}, base_dir=tmp_path
    )
    assert result.status == "failed"
    assert "item 0" in (result.error or "")
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == []
    assert not (tmp_path / "outside.txt").exists()
    assert after_terminal(events, "m") == []
    assert [e.type for e in events if e.type == "tool_succeeded"] == []


def test_map_item_policy_continue_and_collect_keep_the_good_items(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    items = ["a", "../outside", "c"]
    result, events = run(
        writes_map(item_policy={"on_error": "continue"}), {"xs": items}, base_dir=tmp_path
    )
    assert result.status == "succeeded", result.error
    first, second, third = result.outputs["o"]
    assert second is None and first["path"] == "docs/a.txt" and third["path"] == "docs/c.txt"
    warnings = [e.message for e in events if e.type == "node_log" and e.node_id == "m"]  # type: ignore[attr-defined]
    assert any(w.startswith("item 1 failed") for w in warnings)

    collect = writes_map(item_policy={"on_error": "collect"})
    collect.nodes.append(collect.nodes[-1].model_copy(update={"id": "bad"}))
    collect = wf(
        [n.model_dump() for n in collect.nodes],
        [("xs.value", "m.items"), ("m.results", "o.value"), ("m.errors", "bad.value")],
        inputs=[{"name": "xs", "type": "array"}],
        policy=files_policy(),
    )
    result, _ = run(collect, {"xs": items}, base_dir=tmp_path)
    assert result.status == "succeeded", result.error
    assert [r["path"] for r in result.outputs["o"]] == ["docs/a.txt", "docs/c.txt"]
    (error,) = result.outputs["bad"]
    assert error["index"] == 1 and error["item"] == "../outside"
    assert error["error_class"] == "policy" and error["error"] == "path contains '..'"


def test_map_items_retry_on_their_own(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    template = {
        "kind": "test_flaky",
        "config": {"fail_times": 2, "counter_file": str(counter), "value": "ok"},
    }
    m = {
        "id": "m",
        "kind": "map",
        "config": {
            "template": template,
            "max_parallelism": 1,
            "item_policy": {"retry": {"max_attempts": 3, "initial_delay_s": 0}},
        },
    }
    workflow = wf(
        [{"id": "xs", "kind": "input"}, m, {"id": "o", "kind": "output"}],
        [("xs.value", "m.items"), ("m.results", "o.value")],
        inputs=[{"name": "xs", "type": "array"}],
    )
    result, events = run(workflow, {"xs": [1, 2]})
    assert result.status == "succeeded", result.error
    assert result.outputs["o"] == ["ok", "ok"]
    assert counter.read_text() == "4"  # item 0 failed twice, then both succeeded
    retries = [e.message for e in events if e.type == "node_log"]  # type: ignore[attr-defined]
    assert [r.split(":")[0] for r in retries] == ["item 0", "item 0"]
    # Without item retries the same failure fails the map, naming the item.
    counter.unlink()
    m["config"]["item_policy"] = {}  # type: ignore[index]
    workflow = wf(
        [{"id": "xs", "kind": "input"}, m, {"id": "o", "kind": "output"}],
        [("xs.value", "m.items"), ("m.results", "o.value")],
        inputs=[{"name": "xs", "type": "array"}],
    )
    result, _ = run(workflow, {"xs": [1, 2]})
    assert result.status == "failed" and "item 0: injected failure 1" in (result.error or "")


def _quorum_after_a_failed_branch(mode: str) -> Any:
    sources = [
        {"id": "ok", "kind": "template", "config": {"template": "one-v", "inputs": []}},
        {
            "id": "broken",
            "kind": "template",
            "config": {"template": "{{ 1/0 }}", "inputs": []},
            "policy": {"on_error": "continue"},
        },
        {
            "id": "late",
            "kind": "test_sleep",
            "config": {"seconds": 0.2, "value": "late-v", "inputs": []},
        },
    ]
    join = {
        "id": "j",
        "kind": "join",
        "config": {"inputs": ["a", "b", "c"], "mode": mode, "quorum": 2},
    }
    return wf(
        [*sources, join, {"id": "o", "kind": "output"}],
        [("ok.text", "j.a"), ("broken.text", "j.b"), ("late.out", "j.c"), ("j.value", "o.value")],
    )


def test_a_quorum_counts_only_successful_arrivals() -> None:
    result, _ = run(_quorum_after_a_failed_branch("quorum"))
    assert result.status == "succeeded", result.error
    assert result.outputs["o"] == ["one-v", "late-v"]  # never ["one-v", None]
    assert result.nodes["broken"] == "failed"


def test_join_all_still_receives_the_null_of_a_continued_failure() -> None:
    result, _ = run(_quorum_after_a_failed_branch("all"))
    assert result.outputs["o"] == ["one-v", None, "late-v"]


def test_a_join_that_went_ahead_cancels_the_branch_nothing_else_needs() -> None:
    fast = {
        "id": "fast",
        "kind": "test_sleep",
        "config": {"seconds": 0, "value": "f", "inputs": []},
    }
    slow = {
        "id": "slow",
        "kind": "test_sleep",
        "config": {"seconds": 30, "value": "s", "inputs": []},
    }
    after_slow = {"id": "after", "kind": "test_sleep", "config": {"seconds": 0}}
    join = {"id": "j", "kind": "join", "config": {"inputs": ["a", "b"], "mode": "any"}}
    workflow = wf(
        [fast, slow, after_slow, join, {"id": "o", "kind": "output"}],
        [
            ("fast.out", "j.a"),
            ("slow.out", "after.in"),
            ("after.out", "j.b"),
            ("j.value", "o.value"),
        ],
    )
    result, events = run(workflow)
    assert result.status == "succeeded" and result.outputs == {"o": "f"}
    assert result.nodes["slow"] == result.nodes["after"] == "skipped"
    (skip,) = [e for e in events if e.node_id == "slow" and e.type == "node_skipped"]
    assert skip.attempt == 1 and "join 'j' went ahead" in skip.reason  # type: ignore[attr-defined]
    assert after_terminal(events, "slow") == [] and "node_started" not in [
        e.type for e in events if e.node_id == "after"
    ]
    # A branch that also feeds an output is still needed and finishes.
    slow = {**slow, "config": {**slow["config"], "seconds": 0.1}}
    outs = [{"id": "o", "kind": "output"}, {"id": "o2", "kind": "output"}]
    workflow = wf(
        [fast, slow, join, *outs],
        [
            ("fast.out", "j.a"),
            ("slow.out", "j.b"),
            ("slow.out", "o2.value"),
            ("j.value", "o.value"),
        ],
    )
    result, _ = run(workflow)
    assert result.outputs == {"o": "f", "o2": "s"} and result.nodes["slow"] == "succeeded"


def test_a_timed_out_join_cancels_its_slow_branch(tmp_path: Path) -> None:
    a = {"id": "a", "kind": "test_sleep", "config": {"seconds": 0, "value": 1, "inputs": []}}
    b = {"id": "b", "kind": "test_sleep", "config": {"seconds": 30, "value": 2, "inputs": []}}
    join = {
        "id": "j",
        "kind": "join",
        "config": {"inputs": ["a", "b"], "timeout_s": 0.05},
        "policy": {"on_error": "continue"},
    }
    workflow = wf(
        [a, b, join, {"id": "o", "kind": "output"}],
        [("a.out", "j.a"), ("b.out", "j.b"), ("j.value", "o.value")],
    )
    store = SqliteRunStore(tmp_path / "runs.db")
    events: list[RunEvent] = []
    engine = Engine(make_registry(), store=store)
    result = asyncio.run(engine.run(workflow, {}, subscribers=[events.append]))
    assert result.status == "succeeded" and result.outputs == {"o": None}
    assert result.nodes["j"] == "failed" and result.nodes["b"] == "skipped"
    statuses = {(a.node_id, a.status) for a in store.attempts(result.run_id)}
    assert ("b", "skipped") in statuses
    assert all(a.status != "running" for a in store.attempts(result.run_id))


def test_fallback_attempts_are_labelled_and_none_is_left_running(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    node = {
        "id": "n",
        "kind": "test_flaky",
        "config": {"fail_times": 5, "error_class": "model", "counter_file": str(counter)},
        "policy": {"fallback": {"config": {"fail_times": 0, "value": "fb"}}},
    }
    workflow = wf([node, {"id": "o", "kind": "output"}], [("n.out", "o.value")])
    store = SqliteRunStore(tmp_path / "runs.db")
    result = asyncio.run(Engine(make_registry(), store=store).run(workflow, {}))
    assert result.status == "succeeded" and result.outputs == {"o": "fb"}
    attempts = [
        (a.attempt, a.status, a.fallback) for a in store.attempts(result.run_id) if a.node_id == "n"
    ]
    assert attempts == [(1, "retrying", False), (2, "succeeded", True)]
    # The fallback fails too: its failure is labelled as the fallback's.
    node["policy"] = {"fallback": {"config": {"fail_times": 99}}}
    counter.unlink()
    workflow = wf([node, {"id": "o", "kind": "output"}], [("n.out", "o.value")])
    failed: RunResult = asyncio.run(Engine(make_registry(), store=store).run(workflow, {}))
    attempts = [
        (a.attempt, a.status, a.fallback) for a in store.attempts(failed.run_id) if a.node_id == "n"
    ]
    assert attempts == [(1, "retrying", False), (2, "failed", True)]


@pytest.mark.parametrize("declared", [True, False])
def test_map_over_a_workflow_passes_each_item_as_input_item(tmp_path: Path, declared: bool) -> None:
    from engine.runtime.validate import validate

    outs = [{"id": "o", "kind": "output"}]
    name = "item" if declared else "thing"
    wrap = {"id": "t", "kind": "template", "config": {"template": "<{{ in }}>"}}
    child = wf(
        [{"id": name, "kind": "input"}, wrap, {"id": "res", "kind": "output"}],
        [(f"{name}.value", "t.in"), ("t.text", "res.value")],
        inputs=[{"name": name, "type": "integer"}],
    )
    save_workflow(child, tmp_path / "child.interlock.yaml")
    m = {"workflow": "child.interlock.yaml", "result_port": "res"}
    parent = wf(
        [{"id": "xs", "kind": "input"}, {"id": "m", "kind": "map", "config": m}, *outs],
        [("xs.value", "m.items"), ("m.results", "o.value")],
        inputs=[{"name": "xs", "type": "array"}],
    )
    report = validate(parent, make_registry(), base_dir=tmp_path)
    if declared:
        assert not report.errors
        result, _ = run(parent, {"xs": [1, 2]}, base_dir=tmp_path)
        assert result.status == "succeeded", result.error
        assert result.outputs == {"o": ["<1>", "<2>"]}
    else:
        assert any("declares no input 'item'" in p.message for p in report.errors)
        return
    # An item that does not fit the child's declared input fails as that item.
    result, _ = run(parent, {"xs": [1, "two"]}, base_dir=tmp_path)
    assert result.status == "failed" and "item 1:" in (result.error or "")
