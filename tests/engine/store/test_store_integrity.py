"""The RunStore contract, part two: a failed append changes nothing, bad input is refused
with StoreError, and a closed store stays closed. Every backend must pass unchanged."""

from __future__ import annotations

import pytest

from engine.store import DuplicateEventError, RunStore, StoreError
from engine.trace.events import NodeQueued, NodeStarted, NodeSucceeded, NodeToken, RunStarted
from tests.engine.store.runs import Events, run_life, snapshot


def test_duplicate_seq_raises_and_leaves_store_unchanged(store: RunStore) -> None:
    events = run_life()
    store.append_events(events[:3])
    before = snapshot(store, "r1")
    batch = [
        NodeSucceeded(run_id="r1", seq=4, node_id="a", outputs={"o": 1}),
        NodeStarted(run_id="r1", seq=5, node_id="z"),
        NodeToken(run_id="r1", seq=3, node_id="z", text="dup"),
    ]
    with pytest.raises(DuplicateEventError):
        store.append_events(batch)
    assert snapshot(store, "r1") == before
    store.append_events(batch[:2])  # the failed batch left nothing behind to collide with
    assert [a.status for a in store.attempts("r1")] == ["succeeded", "running"]


def test_duplicate_seq_within_one_batch_raises(store: RunStore) -> None:
    ev = Events("r1")
    started = ev(RunStarted, workflow_hash="h", workflow_name="w")
    with pytest.raises(DuplicateEventError):
        store.append_events([started, NodeQueued(run_id="r1", seq=1, node_id="a")])
    assert snapshot(store, "r1") == (None, [], [])


def test_events_of_a_run_never_started_are_rejected(store: RunStore) -> None:
    with pytest.raises(StoreError):
        store.append_events([NodeStarted(run_id="ghost", seq=1, node_id="a")])
    with pytest.raises(StoreError):
        store.append_events([NodeToken(run_id="ghost", seq=1, node_id="a")])
    assert snapshot(store, "ghost") == (None, [], [])


def test_starting_a_run_twice_is_rejected(store: RunStore) -> None:
    store.append_events(run_life()[:1])
    before = snapshot(store, "r1")
    with pytest.raises(StoreError):
        store.append_events([RunStarted(run_id="r1", seq=2, workflow_hash="x", workflow_name="x")])
    assert snapshot(store, "r1") == before


def test_unserializable_values_raise_store_error_and_store_nothing(store: RunStore) -> None:
    with pytest.raises(StoreError, match="JSON"):
        store.append_events([RunStarted(run_id="r1", seq=1, inputs={"blob": object()})])
    assert snapshot(store, "r1") == (None, [], [])


def test_closed_store_refuses_use(store: RunStore) -> None:
    store.close()
    store.close()  # closing twice is fine
    with pytest.raises(StoreError):
        store.append_events(run_life()[:1])
    with pytest.raises(StoreError):
        store.get_run("r1")
