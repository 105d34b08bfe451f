"""The scheduler and every built-in node kind, on a memory store (no model needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.errors import RunError
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from engine.trace.events import NodeRetrying, NodeStarted, RunFinished
from engine.workflow.loader import save_workflow
from tests.engine.helpers import run, types_for, wf
from tests.support.kinds import make_registry


def inp(node_id: str) -> dict[str, object]:
    return {"id": node_id, "kind": "input"}


def tpl(
    node_id: str, template: str, inputs: list[str] | None = None, **kw: object
) -> dict[str, object]:
    return {
        "id": node_id,
        "kind": "template",
        "config": {"template": template, "inputs": inputs or ["in"]},
        **kw,
    }


def out(node_id: str) -> dict[str, object]:
    return {"id": node_id, "kind": "output"}


INPUTS = {"inputs": [{"name": "x", "type": "string", "default": "hi"}]}


def test_chain_of_templates_and_outputs() -> None:
    w = wf(
        [inp("x"), tpl("a", "{{ in }}!"), tpl("b", "<{{ in }}>"), out("o")],
        [("x.value", "a.in"), ("a.text", "b.in"), ("b.text", "o.value")],
        **INPUTS,
    )
    result, events = run(w, {"x": "yo"})
    assert result.status == "succeeded"
    assert result.outputs == {"o": "<yo!>"}
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "run_started" and events[-1].type == "run_finished"


def test_missing_required_input_is_refused_before_anything_runs() -> None:
    w = wf([{"id": "x", "kind": "input"}], [], inputs=[{"name": "x", "required": True}])
    store = MemoryRunStore()
    with pytest.raises(RunError, match="'x' is required"):
        run(w, {}, store=store)
    assert store.list_runs() == []


def test_input_type_is_checked() -> None:
    w = wf([inp("x")], [], inputs=[{"name": "x", "type": "integer"}])
    with pytest.raises(RunError, match="must be integer"):
        run(w, {"x": "seven"})


def test_branch_skips_untaken_path_and_everything_only_reachable_through_it() -> None:
    branch = {
        "id": "br",
        "kind": "branch",
        "config": {"cases": [{"port": "big", "when": "in > 10"}], "default": "small"},
    }
    w = wf(
        [
            inp("x"),
            branch,
            tpl("big1", "B{{ in }}"),
            tpl("big2", "{{ in }}+"),
            tpl("small", "S{{ in }}"),
            out("o_big"),
            out("o_small"),
        ],
        [
            ("x.value", "br.in"),
            ("br.big", "big1.in"),
            ("big1.text", "big2.in"),
            ("big2.text", "o_big.value"),
            ("br.small", "small.in"),
            ("small.text", "o_small.value"),
        ],
        inputs=[{"name": "x", "type": "integer", "default": 3}],
    )
    result, events = run(w)
    assert result.nodes["big1"] == result.nodes["big2"] == result.nodes["o_big"] == "skipped"
    assert result.outputs == {"o_big": None, "o_small": "S3"}
    assert result.output_states == {"o_big": "skipped", "o_small": "succeeded"}
    assert types_for(events, "big2") == ["node_skipped"]
    result, _ = run(w, {"x": 50})
    assert result.outputs == {"o_big": "B50+", "o_small": None}
    assert result.nodes["small"] == "skipped"


def test_branch_without_match_or_default_fails_the_node() -> None:
    branch = {"id": "br", "kind": "branch", "config": {"cases": [{"port": "a", "when": "false"}]}}
    w = wf([inp("x"), branch], [("x.value", "br.in")], **INPUTS)
    result, _ = run(w)
    assert result.status == "failed"
    assert "no branch condition matched" in (result.error or "")


@pytest.mark.parametrize(
    ("mode", "extra", "expected"),
    [
        ("all", {}, ["A", "B", "C"]),
        ("quorum", {"quorum": 2}, None),
        ("any", {}, None),
    ],
)
def test_join_modes(mode: str, extra: dict[str, object], expected: list[str] | None) -> None:
    sleeps = [
        {"id": n, "kind": "test_sleep", "config": {"seconds": d, "value": n.upper(), "inputs": []}}
        for n, d in (("a", 0.0), ("b", 0.05), ("c", 0.3))
    ]
    join = {"id": "j", "kind": "join", "config": {"inputs": ["a", "b", "c"], "mode": mode, **extra}}
    w = wf(
        [*sleeps, join, out("o")],
        [("a.out", "j.a"), ("b.out", "j.b"), ("c.out", "j.c"), ("j.value", "o.value")],
    )
    result, _events = run(w)
    assert result.status == "succeeded"
    value = result.outputs["o"]
    if mode == "all":
        assert value == expected
    elif mode == "quorum":
        assert value == ["A", "B"]
    else:
        assert value == "A"
    # A satisfied join does not wait for the slow input: nothing else needs it, so the
    # run cancels it (`all` waited for it).
    assert result.nodes["c"] == ("succeeded" if mode == "all" else "skipped")


def test_join_object_and_concat_aggregation() -> None:
    a = tpl("a", "x", inputs=[])
    b = tpl("b", "y", inputs=[])
    for aggregate, expected in (("object", {"p": "x", "q": "y"}), ("concat", "x|y")):
        join = {
            "id": "j",
            "kind": "join",
            "config": {"inputs": ["p", "q"], "aggregate": aggregate, "separator": "|"},
        }
        w = wf(
            [a, b, join, out("o")], [("a.text", "j.p"), ("b.text", "j.q"), ("j.value", "o.value")]
        )
        assert run(w)[0].outputs["o"] == expected


def test_join_all_is_skipped_when_an_input_is_skipped_but_any_proceeds() -> None:
    branch = {
        "id": "br",
        "kind": "branch",
        "config": {"cases": [{"port": "l", "when": "true"}], "default": "r"},
    }
    for mode, state in (("all", "skipped"), ("any", "succeeded")):
        join = {"id": "j", "kind": "join", "config": {"inputs": ["a", "b"], "mode": mode}}
        w = wf(
            [inp("x"), branch, tpl("l", "L"), tpl("r", "R"), join],
            [
                ("x.value", "br.in"),
                ("br.l", "l.in"),
                ("br.r", "r.in"),
                ("l.text", "j.a"),
                ("r.text", "j.b"),
            ],
            **INPUTS,
        )
        assert run(w)[0].nodes["j"] == state


def test_join_timeout_fails_per_on_error() -> None:
    sleeps = [
        {"id": "a", "kind": "test_sleep", "config": {"seconds": 0, "value": 1, "inputs": []}},
        {"id": "b", "kind": "test_sleep", "config": {"seconds": 5, "value": 2, "inputs": []}},
    ]
    join = {
        "id": "j",
        "kind": "join",
        "config": {"inputs": ["a", "b"], "timeout_s": 0.05},
        "policy": {"on_error": "fail"},
    }
    w = wf([*sleeps, join], [("a.out", "j.a"), ("b.out", "j.b")])
    result, events = run(w)
    assert result.status == "failed"
    assert "join not satisfied" in (result.error or "")
    # The timed-out join went ahead without b: b is cancelled as no longer needed.
    assert result.nodes["b"] == "skipped"
    (cancelled,) = [e for e in events if e.node_id == "b" and e.type == "node_skipped"]
    assert cancelled.reason.startswith("no longer needed")  # type: ignore[attr-defined]


def test_map_over_template_keeps_order_and_bounds_parallelism() -> None:
    body = {"kind": "test_sleep", "config": {"seconds": 0.01}}
    m = {
        "id": "m",
        "kind": "map",
        "config": {"template": body, "max_parallelism": 3, "item_port": "in"},
    }
    w = wf(
        [inp("xs"), m, out("o")],
        [("xs.value", "m.items"), ("m.results", "o.value")],
        inputs=[{"name": "xs", "type": "array"}],
    )
    result, _ = run(w, {"xs": list(range(10))})
    assert result.outputs["o"] == [{"in": i} for i in range(10)]


def test_map_requires_a_list() -> None:
    body = {"kind": "template", "config": {"template": "{{ in }}"}}
    m = {"id": "m", "kind": "map", "config": {"template": body}}
    w = wf([inp("xs"), m], [("xs.value", "m.items")], inputs=[{"name": "xs", "type": "any"}])
    result, _ = run(w, {"xs": "nope"})
    assert result.status == "failed" and "needs a list" in (result.error or "")


def _child_file(tmp_path: Path) -> Path:
    child = wf(
        [inp("item"), tpl("t", "<{{ in }}>"), {"id": "res", "kind": "output"}],
        [("item.value", "t.in"), ("t.text", "res.value")],
        inputs=[{"name": "item", "type": "any"}],
    )
    path = tmp_path / "child.interlock.yaml"
    save_workflow(child, path)
    return path


def test_map_over_workflow_file_and_subworkflow(tmp_path: Path) -> None:
    _child_file(tmp_path)
    m = {
        "id": "m",
        "kind": "map",
        "config": {"workflow": "child.interlock.yaml", "item_port": "item", "result_port": "res"},
    }
    sub = {
        "id": "s",
        "kind": "subworkflow",
        "config": {"workflow": "child.interlock.yaml", "inputs": ["item"], "outputs": ["res"]},
    }
    w = wf(
        [inp("xs"), m, inp("one"), sub, out("mapped"), out("single")],
        [
            ("xs.value", "m.items"),
            ("m.results", "mapped.value"),
            ("one.value", "s.item"),
            ("s.res", "single.value"),
        ],
        inputs=[{"name": "xs", "type": "array"}, {"name": "one", "type": "string"}],
    )
    store = MemoryRunStore()
    result, _ = run(w, {"xs": [1, 2], "one": "z"}, store=store, base_dir=tmp_path)
    assert result.status == "succeeded", result.error
    assert result.outputs == {"mapped": ["<1>", "<2>"], "single": "<z>"}
    children = [r for r in store.list_runs() if r.parent_run_id == result.run_id]
    assert len(children) == 3 and all(r.status == "succeeded" for r in children)


def test_subworkflow_recursion_is_bounded(tmp_path: Path) -> None:
    me = wf([{"id": "s", "kind": "subworkflow", "config": {"workflow": "self.interlock.yaml"}}], [])
    save_workflow(me, tmp_path / "self.interlock.yaml")
    result, _ = run(me, base_dir=tmp_path)
    assert result.status == "failed"
    assert "nest deeper than" in (result.error or "")


def test_retries_with_backoff_then_success(tmp_path: Path) -> None:
    flaky = {
        "id": "f",
        "kind": "test_flaky",
        "config": {"fail_times": 2, "counter_file": str(tmp_path / "n"), "inputs": []},
        "policy": {"retry": {"max_attempts": 3, "initial_delay_s": 0.01, "jitter": 0}},
    }
    result, events = run(wf([flaky], []))
    assert result.status == "succeeded"
    retries = [e for e in events if isinstance(e, NodeRetrying)]
    assert [r.attempt for r in retries] == [1, 2]
    assert retries[1].delay_s == pytest.approx(0.02)
    assert [e.attempt for e in events if isinstance(e, NodeStarted)] == [1, 2, 3]


def test_non_retryable_error_class_fails_at_once(tmp_path: Path) -> None:
    flaky = {
        "id": "f",
        "kind": "test_flaky",
        "config": {
            "fail_times": 1,
            "error_class": "config",
            "counter_file": str(tmp_path / "n"),
            "inputs": [],
        },
        "policy": {"retry": {"max_attempts": 5, "initial_delay_s": 0}},
    }
    result, events = run(wf([flaky], []))
    assert result.status == "failed"
    assert types_for(events, "f") == ["node_queued", "node_started", "node_failed"]


def test_timeout_then_fallback(tmp_path: Path) -> None:
    slow = {
        "id": "s",
        "kind": "test_sleep",
        "config": {"seconds": 5, "value": "slow", "inputs": []},
        "policy": {
            "timeout_s": 0.05,
            "retry": {"max_attempts": 2, "initial_delay_s": 0},
            "fallback": {"config": {"seconds": 0, "value": "fast"}},
        },
    }
    result, events = run(wf([slow, out("o")], [("s.out", "o.value")]))
    assert result.outputs == {"o": "fast"}
    retrying = [e for e in events if isinstance(e, NodeRetrying) and e.node_id == "s"]
    assert [r.next_is_fallback for r in retrying] == [False, True]
    started = [e for e in events if isinstance(e, NodeStarted) and e.node_id == "s"]
    assert [s.fallback for s in started] == [False, False, True]


def test_on_error_continue_and_route(tmp_path: Path) -> None:
    def failing(policy: str) -> dict[str, object]:
        return {
            "id": "f",
            "kind": "test_flaky",
            "config": {
                "fail_times": 99,
                "error_class": "config",
                "counter_file": str(tmp_path / policy),
                "inputs": [],
            },
            "policy": {"on_error": policy},
        }

    result, _ = run(
        wf(
            [failing("continue"), tpl("after", "got {{ in }}"), out("o")],
            [("f.out", "after.in"), ("after.text", "o.value")],
        )
    )
    assert result.status == "succeeded"
    assert result.outputs == {"o": "got null"}  # the null output renders as JSON null
    assert result.nodes["f"] == "failed"

    result, _ = run(
        wf(
            [failing("route"), tpl("ok", "fine"), tpl("handler", "{{ in.message }}"), out("o")],
            [("f.out", "ok.in"), ("f.error", "handler.in"), ("handler.text", "o.value")],
        )
    )
    assert result.status == "succeeded"
    assert result.outputs == {"o": "injected failure 1"}
    assert result.nodes["ok"] == "skipped"


def test_failing_node_fails_the_run_and_stops_the_rest(tmp_path: Path) -> None:
    bad = {
        "id": "bad",
        "kind": "test_flaky",
        "config": {
            "fail_times": 9,
            "error_class": "config",
            "counter_file": str(tmp_path / "n"),
            "inputs": [],
        },
    }
    slow = {"id": "slow", "kind": "test_sleep", "config": {"seconds": 30, "inputs": []}}
    result, events = run(wf([bad, slow, tpl("after", "x")], [("bad.out", "after.in")]))
    assert result.status == "failed"
    assert "after" not in result.nodes
    assert isinstance(events[-1], RunFinished) and events[-1].status == "failed"


def test_max_parallelism_is_honoured() -> None:
    nodes = [
        {"id": f"s{i}", "kind": "test_sleep", "config": {"seconds": 0.02, "inputs": []}}
        for i in range(8)
    ]
    w = wf(nodes, [], policy={"max_parallelism": 2})
    result, events = run(w)
    running, peak = 0, 0
    for e in events:
        if e.type == "node_started":
            running += 1
            peak = max(peak, running)
        elif e.type in ("node_succeeded", "node_failed"):
            running -= 1
    assert result.status == "succeeded" and peak == 2


def test_cancelling_a_run_records_it_as_cancelled() -> None:
    store = MemoryRunStore()
    slow = {"id": "slow", "kind": "test_sleep", "config": {"seconds": 30, "inputs": []}}
    engine = Engine(make_registry(), store=store)

    async def go() -> None:
        task = asyncio.create_task(engine.run(wf([slow], []), {}))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    (record,) = store.list_runs()
    assert record.status == "cancelled"


def test_cache_reuses_unchanged_nodes_and_no_cache_disables_it(tmp_path: Path) -> None:
    counter = tmp_path / "calls"
    body = {
        "kind": "test_count",
        "config": {"fail_times": 0, "counter_file": str(counter), "inputs": []},
    }
    # A map of a cacheable kind is cacheable: the template counts its runs.
    m = {"id": "m", "kind": "map", "config": {"template": body}}
    w = wf(
        [inp("xs"), m, out("o")],
        [("xs.value", "m.items"), ("m.results", "o.value")],
        inputs=[{"name": "xs", "type": "array", "default": [1, 2]}],
    )
    store = MemoryRunStore()
    first, _ = run(w, store=store)
    second, _events = run(w, store=store)
    assert first.outputs == second.outputs
    assert second.nodes["m"] == "cached"
    assert counter.read_text() == "2"
    third, _ = run(w, {"xs": [1, 2, 3]}, store=store)
    assert third.nodes["m"] == "succeeded" and counter.read_text() == "5"
    engine = Engine(make_registry(), store=store, use_cache=False)
    asyncio.run(engine.run(w, {}))
    assert counter.read_text() == "7"


def test_rerun_from_node_invalidates_it_and_downstream_only(tmp_path: Path) -> None:
    def counting(node_id: str, inputs: list[str]) -> dict[str, object]:
        return {
            "id": node_id,
            "kind": "test_flaky",
            "config": {
                "fail_times": 0,
                "counter_file": str(tmp_path / node_id),
                "inputs": inputs,
                "value": node_id,
            },
        }

    w = wf(
        [counting("a", []), counting("b", ["in"]), counting("c", ["in"]), counting("side", [])],
        [("a.out", "b.in"), ("b.out", "c.in")],
    )
    store = MemoryRunStore()
    first, _ = run(w, store=store)
    engine = Engine(make_registry(), store=store)
    events: list[object] = []
    second = asyncio.run(engine.rerun_from(first.run_id, "b", subscribers=[events.append]))
    assert second.status == "succeeded"
    counts = {n: (tmp_path / n).read_text() for n in ("a", "b", "c", "side")}
    assert counts == {"a": "1", "b": "2", "c": "2", "side": "1"}
    assert second.nodes == {"a": "cached", "side": "cached", "b": "succeeded", "c": "succeeded"}


def test_typed_template_output_is_parsed_as_json_and_feeds_a_map() -> None:
    make = {
        "id": "make",
        "kind": "template",
        "config": {"template": "{{ [1, 2, 3] | json }}", "inputs": [], "output_type": "array"},
    }
    body = {"kind": "template", "config": {"template": "n{{ in }}"}}
    w = wf(
        [make, {"id": "m", "kind": "map", "config": {"template": body}}, out("o")],
        [("make.text", "m.items"), ("m.results", "o.value")],
    )
    assert run(w)[0].outputs == {"o": ["n1", "n2", "n3"]}
    bad = {
        "id": "bad",
        "kind": "template",
        "config": {"template": "not json", "inputs": [], "output_type": "object"},
    }
    result, _ = run(wf([bad], []))
    assert result.status == "failed" and "not JSON" in (result.error or "")
