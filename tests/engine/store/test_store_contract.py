"""The RunStore contract: every backend (memory, sqlite) must pass these unchanged."""

from __future__ import annotations

import pytest

from engine.store import (
    AttemptRecord,
    RunRecord,
    RunStore,
    WorkflowVersion,
)
from engine.store.protocol import CacheHit
from engine.trace.events import (
    NodeCached,
    NodeFailed,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    RunFinished,
    RunResumed,
    RunStarted,
    from_record,
)
from tests.engine.store.runs import NESTED, Events, append_like_runtime, run_life


def test_implements_protocol(store: RunStore) -> None:
    assert isinstance(store, RunStore)


def test_save_workflow_is_idempotent(store: RunStore) -> None:
    first = WorkflowVersion(hash="h1", name="demo", content="nodes: []\n", path="/w/demo.yaml")
    store.save_workflow(first)
    store.save_workflow(first)
    store.save_workflow(WorkflowVersion(hash="h1", name="renamed", content="other"))
    assert store.get_workflow("h1") == first
    assert store.get_workflow("missing") is None


@pytest.mark.parametrize("batching", ["runtime", "one_batch", "one_by_one"])
def test_run_life_derives_run_and_attempts(store: RunStore, batching: str) -> None:
    events = run_life()
    if batching == "runtime":
        append_like_runtime(store, events)
    elif batching == "one_batch":
        store.append_events(events)
    else:
        for event in events:
            store.append_events([event])

    assert store.get_run("r1") == RunRecord(
        run_id="r1",
        workflow_hash="h1",
        workflow_name="demo",
        status="failed",
        started_at=1001.0,
        finished_at=1014.0,
        inputs={"q": "hi"},
        outputs={"answer": "hi"},
        error="d failed",
        prompt_tokens=5,
        completion_tokens=7,
        cost_usd=0.25,
    )
    assert store.attempts("r1") == [
        AttemptRecord(
            run_id="r1",
            node_id="a",
            attempt=1,
            status="retrying",
            kind="llm",
            inputs={"prompt": "p"},
            error="rate limited",
            error_class="transient",
            started_at=1003.0,
            finished_at=1004.0,
        ),
        AttemptRecord(
            run_id="r1",
            node_id="a",
            attempt=2,
            status="succeeded",
            kind="llm",
            inputs={"prompt": "p"},
            outputs={"text": "hi"},
            started_at=1005.0,
            finished_at=1008.0,
            model="m1",
            provider="local",
            prompt_tokens=5,
            completion_tokens=7,
            cost_usd=0.25,
        ),
        AttemptRecord(
            run_id="r1",
            node_id="b",
            attempt=1,
            status="cached",
            outputs={"v": 1},
            started_at=1009.0,
            finished_at=1009.0,
        ),
        AttemptRecord(
            run_id="r1",
            node_id="c",
            attempt=1,
            status="skipped",
            started_at=1010.0,
            finished_at=1010.0,
        ),
        AttemptRecord(
            run_id="r1",
            node_id="d",
            attempt=1,
            status="failed",
            kind="tool",
            inputs={"x": 1},
            error="boom",
            error_class="error",
            started_at=1011.0,
            finished_at=1013.0,
        ),
    ]


def test_running_run_and_attempt_before_terminal_events(store: RunStore) -> None:
    events = run_life()[:3]
    store.append_events(events)
    run = store.get_run("r1")
    assert run is not None
    assert (run.status, run.finished_at, run.outputs) == ("running", None, {})
    [attempt] = store.attempts("r1")
    assert (attempt.status, attempt.finished_at) == ("running", None)
    assert attempt.inputs == {"prompt": "p"}


def test_cached_and_skipped_number_after_earlier_attempts(store: RunStore) -> None:
    ev = Events("r1")
    store.append_events(
        [
            ev(RunStarted, workflow_hash="h", workflow_name="w"),
            ev(NodeStarted, node_id="n", attempt=1),
            ev(NodeFailed, node_id="n", attempt=1, error="x"),
            ev(NodeCached, node_id="n", outputs={"o": 1}),
            ev(NodeSkipped, node_id="n"),
        ]
    )
    assert [(a.attempt, a.status) for a in store.attempts("r1")] == [
        (1, "failed"),
        (2, "cached"),
        (3, "skipped"),
    ]


def test_terminal_event_without_start_still_records_the_attempt(store: RunStore) -> None:
    ev = Events("r1")
    store.append_events([ev(RunStarted, workflow_hash="h", workflow_name="w")])
    done = ev(NodeSucceeded, node_id="n", attempt=3, outputs={"o": 1}, duration_s=0.5)
    store.append_events([done])
    assert store.attempts("r1") == [
        AttemptRecord(
            run_id="r1",
            node_id="n",
            attempt=3,
            status="succeeded",
            outputs={"o": 1},
            started_at=1001.5,
            finished_at=1002.0,
        ),
    ]


def test_restarted_attempt_is_reset_to_running(store: RunStore) -> None:
    """After a crash the resumed runtime may start the same attempt again."""
    ev = Events("r1")
    store.append_events(
        [
            ev(RunStarted, workflow_hash="h", workflow_name="w"),
            ev(NodeStarted, node_id="n", inputs={"v": 1}),
            ev(NodeFailed, node_id="n", error="killed"),
            ev(RunFinished, status="failed", error="crash"),
            ev(RunResumed, completed_nodes=[], rerun_nodes=["n"]),
            ev(NodeStarted, node_id="n", inputs={"v": 2}),
        ]
    )
    run = store.get_run("r1")
    assert run is not None
    assert (run.status, run.finished_at, run.error) == ("running", None, None)
    [attempt] = store.attempts("r1")
    assert (attempt.status, attempt.inputs, attempt.error) == ("running", {"v": 2}, None)
    assert attempt.started_at == 1006.0


def test_workflow_path_comes_from_saved_workflow(store: RunStore) -> None:
    store.save_workflow(WorkflowVersion(hash="h1", name="w", content="c", path="/flows/w.yaml"))
    store.append_events(
        [
            RunStarted(run_id="r1", seq=1, workflow_hash="h1", workflow_name="w"),
            RunStarted(
                run_id="r2", seq=1, workflow_hash="unsaved", workflow_name="w", parent_run_id="r1"
            ),
        ]
    )
    r1, r2 = store.get_run("r1"), store.get_run("r2")
    assert r1 is not None and r2 is not None
    assert (r1.workflow_path, r2.workflow_path, r2.parent_run_id) == ("/flows/w.yaml", None, "r1")


def test_events_come_back_in_seq_order_and_round_trip(store: RunStore) -> None:
    events = run_life()
    append_like_runtime(store, events)
    assert store.events("r1") == events
    assert store.events("r1", after_seq=10) == events[10:]
    assert store.events("other") == []
    for stored in store.events("r1"):
        assert from_record(stored.to_record()) == stored


def test_unknown_event_types_are_kept_verbatim_and_derive_nothing(store: RunStore) -> None:
    store.append_events(run_life()[:1])
    future = from_record(
        {
            "type": "node_thought",
            "run_id": "r1",
            "seq": 2,
            "ts": 5.0,
            "node_id": "a",
            "data": {"thought": "hmm", "n": [1, 2]},
        }
    )
    store.append_events([future])
    assert store.events("r1", after_seq=1) == [future]
    assert store.events("r1")[1].to_record()["data"] == {
        "original_type": "node_thought",
        "data": {"thought": "hmm", "n": [1, 2]},
    }
    assert store.attempts("r1") == []


def test_list_runs_newest_first_with_limit(store: RunStore) -> None:
    for i, started in enumerate([30.0, 10.0, 50.0, 20.0, 40.0]):
        store.append_events([RunStarted(run_id=f"r{i}", seq=1, ts=started, workflow_hash="h")])
    assert [r.run_id for r in store.list_runs()] == ["r2", "r4", "r0", "r3", "r1"]
    assert [r.run_id for r in store.list_runs(limit=2)] == ["r2", "r4"]
    assert store.list_runs(limit=0) == []


def test_cache_put_get_and_overwrite(store: RunStore) -> None:
    assert store.cache_get("k") is None
    store.cache_put("k", "llm", {"text": "one"})
    assert store.cache_get("k") == CacheHit({"text": "one"})
    assert store.cache_get("k") == CacheHit({"text": "one"})
    store.cache_put("k", "llm", {"text": "two", "extra": NESTED}, run_id="r7")
    assert store.cache_get("k") == CacheHit({"text": "two", "extra": NESTED}, "r7")
    store.cache_put("k2", "llm", {})
    assert store.cache_clear() == 2 and store.cache_get("k") is None
    assert store.cache_get("other") is None


def test_json_values_round_trip(store: RunStore) -> None:
    ev = Events("r✓")
    events = [
        ev(RunStarted, workflow_hash="h", workflow_name="wörkflow", inputs=NESTED),
        ev(NodeStarted, node_id="nœud", kind="llm", inputs=NESTED),
        ev(NodeSucceeded, node_id="nœud", outputs=NESTED, model="модель"),
        ev(RunFinished, outputs=NESTED),
    ]
    store.append_events(events)
    run = store.get_run("r✓")
    assert run is not None
    assert (run.inputs, run.outputs, run.workflow_name) == (NESTED, NESTED, "wörkflow")
    [attempt] = store.attempts("r✓")
    assert (attempt.node_id, attempt.inputs, attempt.outputs) == ("nœud", NESTED, NESTED)
    assert attempt.model == "модель"
    assert store.events("r✓") == events


def test_runs_are_kept_apart(store: RunStore) -> None:
    append_like_runtime(store, run_life("r1"))
    append_like_runtime(store, run_life("r2")[:3])
    assert len(store.events("r1")) == len(run_life())
    assert [e.run_id for e in store.events("r2")] == ["r2"] * 3
    assert [a.node_id for a in store.attempts("r2")] == ["a"]
