"""Run budgets and per-call cost limits: stop cleanly, or downgrade to a cheaper model."""

from __future__ import annotations

import pytest

from engine.routing.budget import RunBudget
from engine.trace.events import NodeFailed
from tests.engine.helpers import wf
from tests.engine.routing.conftest import llm_workflow, of_type, run_with
from tests.engine.routing.mock_remote import Recorder, ScriptedLocal, remote, sse

PRICEY = {"price_in": 1000.0, "price_out": 1000.0}  # $ per 1M: 256 output tokens ~ $0.26


def test_a_call_that_would_exceed_the_budget_stops_the_run_cleanly() -> None:
    rec = Recorder([(200, sse("r"), {})])
    config = {"prompt": "{{ q }}", "route": {"model": "ep/big"}}
    policy = {"budget": {"max_cost_usd": 0.01, "on_exceed": "stop"}}
    result, events = run_with(
        [ScriptedLocal(["l"]), remote(rec, **PRICEY)], llm_workflow(config, policy)
    )
    assert result.status == "failed" and rec.requests == []
    assert "run budget stops this call" in (result.error or "")
    (failed,) = [e for e in events if isinstance(e, NodeFailed)]
    assert failed.error_class == "budget"
    (decision,) = of_type(events, "routing_decision")
    assert decision.chosen is None and decision.budget_remaining_usd == pytest.approx(0.01)
    big = next(c for c in decision.candidates if c["model"] == "ep/big")
    assert big["rejected"].startswith("budget: estimated $")


def test_downgrade_picks_a_cheaper_model_and_says_why() -> None:
    rec = Recorder([(200, sse("r"), {})])
    config = {"prompt": "{{ q }}", "route": {"model": "ep/big"}}
    policy = {"budget": {"max_cost_usd": 0.01, "on_exceed": "downgrade"}}
    result, events = run_with(
        [ScriptedLocal(["cheap"]), remote(rec, **PRICEY)], llm_workflow(config, policy)
    )
    assert result.outputs == {"o": "cheap"} and rec.requests == []
    (decision,) = of_type(events, "routing_decision")
    assert decision.chosen == "tiny" and decision.reason.startswith("downgraded from ep/big")


def test_the_budget_counts_what_earlier_nodes_spent() -> None:
    rec = Recorder([(200, sse("r"), {})])
    ask = {
        "kind": "llm",
        "config": {
            "inputs": ["q"],
            "prompt": "{{ q }}",
            "max_tokens": 16,
            "route": {"model": "ep/big"},
        },
    }
    workflow = wf(
        [
            {"id": "q", "kind": "input"},
            {"id": "a", **ask},
            {"id": "b", **ask},
            {"id": "o", "kind": "output"},
        ],
        [("q.value", "a.q"), ("a.text", "b.q"), ("b.text", "o.value")],
        inputs=[{"name": "q", "default": "why?"}],
        policy={"budget": {"max_cost_usd": 0.025}},
    )
    result, events = run_with([remote(rec, **PRICEY)], workflow)
    calls = of_type(events, "model_call")
    assert [c.node_id for c in calls] == ["a"]  # a spent ~$0.012; b's estimate ~$0.02 won't fit
    assert result.status == "failed" and "node 'b' failed" in (result.error or "")
    assert result.cost_usd == pytest.approx(calls[0].cost_usd)


def test_token_budget_and_per_call_cost_limit() -> None:
    rec = Recorder([(200, sse("r"), {})])
    config = {"prompt": "{{ q }}", "max_tokens": 100}
    result, _ = run_with(
        [ScriptedLocal(["l"])], llm_workflow(config, {"budget": {"max_tokens": 50}})
    )
    assert result.status == "failed" and "tokens exceed the run budget" in (result.error or "")
    config = {"prompt": "{{ q }}", "route": {"tier": "hard", "max_cost_per_call": 0.001}}
    result, events = run_with([ScriptedLocal(["l"]), remote(rec, **PRICEY)], llm_workflow(config))
    assert result.outputs == {"o": "l"}
    big = next(
        c for c in of_type(events, "routing_decision")[0].candidates if c["model"] == "ep/big"
    )
    assert "exceeds max_cost_per_call" in big["rejected"]


def test_reservations_keep_parallel_calls_inside_the_budget() -> None:
    budget = RunBudget(max_cost_usd=1.0)
    held = budget.reserve(0.6, 10)
    assert budget.exceeded_by(0.5, 0) is not None and budget.exceeded_by(0.4, 0) is None
    budget.settle(held, "a", 0.2, 4, 6)
    assert budget.spent_usd == pytest.approx(0.2) and budget.exceeded_by(0.7, 0) is None
    taken = budget.take("a")  # now recorded on the event ending the attempt
    assert (taken.prompt_tokens, taken.completion_tokens, taken.cost_usd) == (4, 6, 0.2)
    assert budget.spent_usd == 0.0 and budget.take("a").tokens == 0
