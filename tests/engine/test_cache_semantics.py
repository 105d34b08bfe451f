"""The result cache never lies: a node is reused only when everything it runs may be
reused and nothing it depends on changed; a re-run from a node recomputes it; sampling
without a fixed seed is never reused."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.providers.base import ProviderRegistry
from engine.runtime.engine import Engine
from engine.store.sqlite import SqliteRunStore
from engine.trace.events import RunEvent
from engine.workflow.loader import save_workflow
from tests.engine.helpers import run, wf
from tests.engine.routing.mock_remote import ScriptedLocal
from tests.support.kinds import make_registry


def _states(events: list[RunEvent], node_id: str) -> list[str]:
    return [e.type for e in events if e.node_id == node_id and e.type != "node_queued"]


def test_a_map_of_approvals_is_never_served_from_the_cache(tmp_path: Path) -> None:
    asked: list[str] = []

    async def approver(record: ApprovalRecord) -> ApprovalDecision:
        asked.append(record.request.node_id)
        return ApprovalDecision("approve", "ana", "")

    m = {"id": "m", "kind": "map", "config": {"template": {"kind": "approval", "config": {}}}}
    workflow = wf(
        [{"id": "xs", "kind": "input"}, m, {"id": "o", "kind": "output"}],
        [("xs.value", "m.items"), ("m.results", "o.value")],
        inputs=[{"name": "xs", "type": "array"}],
    )
    store = SqliteRunStore(tmp_path / "runs.db")
    engine = Engine(make_registry(), store=store, approver=approver)
    for _ in range(2):
        result = asyncio.run(engine.run(workflow, {"xs": ["a", "b"]}))
        assert result.nodes["m"] == "succeeded"
    assert len(asked) == 4  # both runs asked for both items


def _parent_and_child(tmp_path: Path, greeting: str) -> Any:
    child = wf(
        [
            {"id": "item", "kind": "input"},
            {"id": "t", "kind": "template", "config": {"template": greeting + " {{ in }}"}},
            {"id": "res", "kind": "output"},
        ],
        [("item.value", "t.in"), ("t.text", "res.value")],
        inputs=[{"name": "item"}],
    )
    save_workflow(child, tmp_path / "child.interlock.yaml")
    return wf(
        [
            {"id": "x", "kind": "input"},
            {
                "id": "sub",
                "kind": "subworkflow",
                "config": {
                    "workflow": "child.interlock.yaml",
                    "inputs": ["item"],
                    "outputs": ["res"],
                },
            },
            {"id": "o", "kind": "output"},
        ],
        [("x.value", "sub.item"), ("sub.res", "o.value")],
        inputs=[{"name": "x"}],
    )


def test_editing_a_child_workflow_misses_the_cache(tmp_path: Path) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")
    parent = _parent_and_child(tmp_path, "Hello")
    first, _ = run(parent, {"x": "ana"}, store=store, base_dir=tmp_path)  # type: ignore[arg-type]
    again, _ = run(parent, {"x": "ana"}, store=store, base_dir=tmp_path)  # type: ignore[arg-type]
    assert first.outputs == again.outputs == {"o": "Hello ana"}
    assert again.nodes["sub"] == "cached"  # unchanged child: reused
    _parent_and_child(tmp_path, "Goodbye")  # edit only the child file
    edited, _ = run(parent, {"x": "ana"}, store=store, base_dir=tmp_path)  # type: ignore[arg-type]
    assert edited.nodes["sub"] == "succeeded" and edited.outputs == {"o": "Goodbye ana"}


def test_rerun_from_a_node_recomputes_it_even_when_cached(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    node = {
        "id": "n",
        "kind": "test_count",
        "config": {"fail_times": 0, "counter_file": str(counter), "inputs": []},
    }
    workflow = wf([node, {"id": "o", "kind": "output"}], [("n.out", "o.value")])
    store = SqliteRunStore(tmp_path / "runs.db")
    engine = Engine(make_registry(), store=store)
    first = asyncio.run(engine.run(workflow, {}))
    cached = asyncio.run(engine.run(workflow, {}))
    assert cached.nodes["n"] == "cached" and counter.read_text() == "1"
    events: list[RunEvent] = []
    rerun = asyncio.run(engine.rerun_from(first.run_id, "n", subscribers=[events.append]))
    assert rerun.nodes["n"] == "succeeded" and counter.read_text() == "2"
    assert "node_cached" not in _states(events, "n")


def _sampling(seed: Any, temperature: float) -> Any:
    ask = {
        "id": "ask",
        "kind": "llm",
        "config": {"inputs": ["q"], "prompt": "{{ q }}", "temperature": temperature, "seed": seed},
    }
    return wf(
        [{"id": "q", "kind": "input"}, ask, {"id": "o", "kind": "output"}],
        [("q.value", "ask.q"), ("ask.text", "o.value")],
        inputs=[{"name": "q", "default": "hi"}],
    )


def test_sampling_without_a_seed_is_never_cached_and_its_seed_is_recorded(
    tmp_path: Path,
) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")
    local = ScriptedLocal(["an answer"])
    engine = Engine(make_registry(), ProviderRegistry([local], default_model="tiny"), store)

    def twice(workflow: Any) -> list[list[RunEvent]]:
        traces = []
        for _ in range(2):
            events: list[RunEvent] = []
            asyncio.run(engine.run(workflow, {}, subscribers=[events.append]))
            traces.append(events)
        return traces

    first, second = twice(_sampling(None, 0.8))
    assert "node_cached" not in _states(second, "ask")
    seeds = [
        next(e.seed for e in trace if e.type == "model_call")  # type: ignore[attr-defined]
        for trace in (first, second)
    ]
    assert all(isinstance(s, int) for s in seeds) and seeds[0] != seeds[1]
    # A fixed seed (or greedy decoding) is reproducible, so it is reused.
    for seed, temperature in ((7, 0.8), (None, 0.0)):
        _first, second = twice(_sampling(seed, temperature))
        assert "node_cached" in _states(second, "ask")
    assert len(local.requests) == 4


class _Versioned(ScriptedLocal):
    """A local provider whose model file has a given checksum."""

    def __init__(self, checksum: str) -> None:
        super().__init__(["an answer"])
        self.checksum = checksum

    def model_fingerprint(self, model_id: str) -> str:
        return f"sha256:{self.checksum}"


def test_a_changed_model_file_misses_the_cache(tmp_path: Path) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")

    def ask_with(checksum: str) -> list[RunEvent]:
        providers = ProviderRegistry([_Versioned(checksum)], default_model="tiny")
        events: list[RunEvent] = []
        engine = Engine(make_registry(), providers, store)
        asyncio.run(engine.run(_sampling(0, 0.0), {}, subscribers=[events.append]))
        return events

    ask_with("aaa")
    assert "node_cached" in _states(ask_with("aaa"), "ask")  # same model file: reused
    assert "node_cached" not in _states(ask_with("bbb"), "ask")  # re-downloaded/replaced
