"""One run model: for random workflows, the fold over the stored events equals the live
state the engine reported, and the run result, the store's records, the report and the
app's state (the same fold) agree on every node's status and on the run's totals."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.reports.build import build_report
from engine.runtime.engine import Engine
from engine.store.sqlite import SqliteRunStore
from engine.trace.events import RunEvent, RunFinished
from engine.trace.fold import RunState, fold
from engine.workflow.model import Workflow
from tests.engine.test_properties import dags
from tests.support.kinds import make_registry


@st.composite
def workflows_with_failures(draw: st.DrawFn, folder: str) -> dict[str, Any]:
    """Random DAGs where some nodes fail and continue (null outputs), or retry first."""
    data = draw(dags())
    for i, node in enumerate(data["nodes"]):
        if node["kind"] != "test_sleep":
            continue
        fate = draw(st.sampled_from(["ok", "ok", "fails", "retries"]))
        if fate == "ok":
            continue
        node["kind"] = "test_flaky"
        node["config"] = {
            "inputs": node["config"]["inputs"],
            "fail_times": 99 if fate == "fails" else 1,
            "counter_file": f"{folder}/{i}",
        }
        retry = {"max_attempts": 2, "initial_delay_s": 0}
        node["policy"] = {"on_error": "continue", "retry": retry}
    return data


def _final(attempts: list[Any]) -> dict[str, str]:
    """Each node's status as the store records it: its last attempt row."""
    last: dict[str, Any] = {}
    for a in attempts:
        if a.node_id not in last or (a.attempt or 0) >= (last[a.node_id].attempt or 0):
            last[a.node_id] = a
    return {node_id: a.status for node_id, a in last.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_view_of_a_run_agrees(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        spec = data.draw(workflows_with_failures(folder))
        workflow = Workflow.model_validate(spec)
        store = SqliteRunStore(Path(folder) / "runs.db")
        live = RunState()
        seen: list[RunEvent] = []

        def watch(event: RunEvent) -> None:
            live.apply(event)
            seen.append(event)

        engine = Engine(make_registry(), store=store, use_cache=False)
        result = asyncio.run(engine.run(workflow, {}, subscribers=[watch]))
        stored = fold(store.events(result.run_id))
        states = {n: r.state for n, r in stored.nodes.items()}

        assert states == {n: r.state for n, r in live.nodes.items()}
        assert stored.status == live.status == result.status
        assert {n: s for n, s in states.items()} == result.nodes
        assert _final(store.attempts(result.run_id)) == states
        report = build_report(store, result.run_id)
        assert {v.node_id: v.status for v in report.nodes} == states
        (finished,) = [e for e in seen if isinstance(e, RunFinished)]
        assert stored.tokens == finished.prompt_tokens + finished.completion_tokens
        record = store.get_run(result.run_id)
        assert record is not None and record.status == stored.status
        assert all(a.status != "running" for a in store.attempts(result.run_id))
        store.close()
