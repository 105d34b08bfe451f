"""A run's budget and totals span all of its attempts: across approval pauses, resumes
in another process, retries and failed calls, on the real bundled model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.approvals.model import ApprovalDecision
from engine.providers.base import ProviderRegistry
from engine.providers.local import LocalProvider
from engine.runtime.approval_gate import defer
from engine.runtime.engine import Engine, RunResult
from engine.store.sqlite import SqliteRunStore
from engine.trace.events import RunEvent
from local_models import SMOLLM2_ID, ModelCatalog
from tests.engine.helpers import wf
from tests.engine.routing.mock_remote import ScriptedLocal
from tests.support.kinds import make_registry

pytestmark = [pytest.mark.model]


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    provider = LocalProvider(ModelCatalog(tmp_path_factory.mktemp("data")))
    yield provider
    provider.close()


def _ask(node_id: str, source: str) -> dict[str, Any]:
    return {
        "id": node_id,
        "kind": "llm",
        "config": {
            "inputs": ["q"],
            "prompt": "Say one short sentence about {{ q }}.",
            "model": SMOLLM2_ID,
            "max_tokens": 24,
            "temperature": 0,
        },
    }


def ask_approve_ask(budget: dict[str, Any] | None = None) -> Any:
    """llm → approval → llm: the second call happens only after someone approves."""
    return wf(
        [
            {"id": "q", "kind": "input"},
            _ask("first", "q"),
            {"id": "gate", "kind": "approval", "config": {"title": "Go on?"}},
            _ask("second", "gate"),
            {"id": "o", "kind": "output"},
        ],
        [
            ("q.value", "first.q"),
            ("first.text", "gate.in"),
            ("gate.approved", "second.q"),
            ("second.text", "o.value"),
        ],
        inputs=[{"name": "q", "default": "rain"}],
        policy={"budget": budget} if budget else {},
    )


def _engine(store: SqliteRunStore, providers: Any) -> Engine:
    registry = providers if isinstance(providers, ProviderRegistry) else None
    registry = registry or ProviderRegistry(list(providers), default_model=SMOLLM2_ID)
    return Engine(make_registry(), registry, store, use_cache=False, approver=defer)


def _pause_approve_resume(
    store: SqliteRunStore, providers: Any, workflow: Any
) -> tuple[RunResult, RunResult, list[RunEvent]]:
    first = asyncio.run(_engine(store, providers).run(workflow, {}))
    assert first.status == "waiting_approval", first.error
    (pending,) = store.list_approvals()
    store.decide_approval(pending.request_id, ApprovalDecision("approve", "ana", ""))
    # A fresh engine, as `interlock resume` in another process would build it.
    second = asyncio.run(_engine(store, providers).resume(first.run_id))
    return first, second, store.events(first.run_id)


def _model_tokens(events: list[RunEvent]) -> int:
    return sum(
        e.prompt_tokens + e.completion_tokens  # type: ignore[attr-defined]
        for e in events
        if e.type == "model_call"
    )


def test_totals_after_an_approval_are_the_sum_over_the_whole_run(
    local: LocalProvider, tmp_path: Path
) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")
    first, second, events = _pause_approve_resume(store, [local], ask_approve_ask())
    assert second.status == "succeeded", second.error
    assert first.tokens > 0 and second.tokens > first.tokens
    assert second.tokens == _model_tokens(events)
    record = store.get_run(first.run_id)
    assert record is not None
    assert record.prompt_tokens + record.completion_tokens == second.tokens


def test_a_token_budget_holds_across_an_approval_pause(
    local: LocalProvider, tmp_path: Path
) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")
    first, second, events = _pause_approve_resume(
        store, [local], ask_approve_ask({"max_tokens": 90})
    )
    # The first call (~50 tokens) fits; after the pause the second call's estimate no
    # longer fits in what is left, so the run stops before making it.
    assert 0 < first.tokens <= 90
    assert second.status == "failed"
    assert "tokens exceed the run budget" in (second.error or "")
    assert [e.node_id for e in events if e.type == "model_call"] == ["first"]
    assert second.tokens == first.tokens == _model_tokens(events)


def test_failed_and_retried_attempts_count_in_the_totals(tmp_path: Path) -> None:
    """Calls of attempts that failed (a schema miss, retried) are spent and counted."""
    store = SqliteRunStore(tmp_path / "runs.db")
    local = ScriptedLocal(["not json", '{"a": 1}'])
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    workflow = wf(
        [
            {"id": "q", "kind": "input"},
            {
                "id": "ask",
                "kind": "llm",
                "config": {"inputs": ["q"], "prompt": "{{ q }}", "output_schema": schema},
                "policy": {"retry": {"max_attempts": 2, "initial_delay_s": 0, "retry_on": ["any"]}},
            },
            {"id": "o", "kind": "output"},
        ],
        [("q.value", "ask.q"), ("ask.json", "o.value")],
        inputs=[{"name": "q", "default": "x"}],
    )
    registry = ProviderRegistry([local], default_model="tiny")
    result = asyncio.run(_engine(store, registry).run(workflow, {}))
    assert result.status == "succeeded", result.error
    events = store.events(result.run_id)
    ends = [e.type for e in events if e.node_id == "ask" and e.type.startswith("node_")][1:]
    ends = [t for t in ends if t != "node_token"]
    assert ends == ["node_started", "node_retrying", "node_started", "node_succeeded"]
    assert result.tokens == _model_tokens(events) == 16  # two calls of 5 + 3 tokens
    record = store.get_run(result.run_id)
    assert record is not None and record.prompt_tokens == 10


def test_unseeded_sampling_on_the_bundled_model_is_never_reused(
    local: LocalProvider, tmp_path: Path
) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")
    registry = ProviderRegistry([local], default_model=SMOLLM2_ID)
    engine = Engine(make_registry(), registry, store)

    def sample(seed: int | None) -> list[list[RunEvent]]:
        node = _ask("ask", "q")
        node["config"].update(temperature=0.9, seed=seed, max_tokens=8)
        workflow = wf(
            [{"id": "q", "kind": "input"}, node, {"id": "o", "kind": "output"}],
            [("q.value", "ask.q"), ("ask.text", "o.value")],
            inputs=[{"name": "q", "default": "the sea"}],
        )
        traces = []
        for _ in range(2):
            events: list[RunEvent] = []
            asyncio.run(engine.run(workflow, {}, subscribers=[events.append]))
            traces.append(events)
        return traces

    unseeded = sample(None)
    seeds = [[e.seed for e in t if e.type == "model_call"] for t in unseeded]  # type: ignore[attr-defined]
    assert all(len(s) == 1 and isinstance(s[0], int) for s in seeds) and seeds[0] != seeds[1]
    assert not any(e.type == "node_cached" for e in unseeded[1])
    seeded = sample(7)
    assert [e.seed for e in seeded[0] if e.type == "model_call"] == [7]  # type: ignore[attr-defined]
    assert any(e.type == "node_cached" and e.node_id == "ask" for e in seeded[1])
