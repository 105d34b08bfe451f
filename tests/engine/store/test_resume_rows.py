"""A resumed run: attempts its dead process left running are marked interrupted."""

from __future__ import annotations

from engine.store import RunStore
from engine.trace.events import NodeStarted, NodeSucceeded, RunResumed, RunStarted
from tests.engine.store.runs import Events


def test_resume_marks_running_attempts_interrupted(store: RunStore) -> None:
    ev = Events("r1")
    store.append_events(
        [
            ev(RunStarted, workflow_hash="h", workflow_name="w"),
            ev(NodeStarted, node_id="done", attempt=1),
            ev(NodeSucceeded, node_id="done", attempt=1),
            ev(NodeStarted, node_id="flying", attempt=1),
        ]
    )
    store.append_events([ev(RunResumed), ev(NodeStarted, node_id="flying", attempt=2)])
    states = {(a.node_id, a.attempt): a.status for a in store.attempts("r1")}
    assert states == {
        ("done", 1): "succeeded",
        ("flying", 1): "interrupted",
        ("flying", 2): "running",
    }
    run = store.get_run("r1")
    assert run is not None and run.status == "running"
