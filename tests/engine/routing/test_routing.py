"""The router inside real workflow runs: local first, escalation on schema failure, low
confidence and local errors, fallback chains, sensitivity, allowed models and offline mode."""

from __future__ import annotations

import pytest

from engine.trace.events import NodeFailed, NodeLog, NodeSucceeded
from tests.engine.routing.conftest import llm_workflow, of_type, run_with
from tests.engine.routing.mock_remote import Recorder, ScriptedLocal, fail, remote, sse

SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["pos", "neg"]}},
    "required": ["label"],
}


def test_routine_nodes_run_locally_and_the_decision_lists_every_candidate() -> None:
    rec = Recorder([(200, sse("remote"), {})])
    result, events = run_with(
        [ScriptedLocal(["local answer"]), remote(rec)], llm_workflow({"prompt": "{{ q }}"})
    )
    assert result.outputs == {"o": "local answer"} and rec.requests == []
    (decision,) = of_type(events, "routing_decision")
    assert decision.chosen == "tiny" and decision.phase == "initial"
    rejected = {c["model"]: c["rejected"] for c in decision.candidates}
    assert rejected == {"tiny": None, "ep/big": "ranked below tiny"}
    (call,) = of_type(events, "model_call")
    assert (call.model, call.outcome, call.cost_usd, call.remote) == ("tiny", "ok", 0.0, False)


def test_hard_tier_prefers_the_highest_quality_model() -> None:
    rec = Recorder([(200, sse("remote answer"), {})])
    result, events = run_with(
        [ScriptedLocal(["x"]), remote(rec)],
        llm_workflow({"prompt": "{{ q }}", "route": {"tier": "hard"}}),
    )
    assert result.outputs == {"o": "remote answer"}
    assert result.cost_usd > 0 and result.cost_usd == pytest.approx(
        sum(c.cost_usd for c in of_type(events, "model_call"))
    )


def test_schema_failure_escalates_and_the_trace_shows_both_calls() -> None:
    rec = Recorder([(200, sse('{"label": "pos"}'), {})])
    config = {
        "prompt": "{{ q }}",
        "output_schema": SCHEMA,
        "route": {"escalate": {"on_schema_failure": True}},
    }
    result, events = run_with(
        [ScriptedLocal(["not json at all"]), remote(rec)], llm_workflow(config)
    )
    assert result.status == "succeeded"
    calls = of_type(events, "model_call")
    assert [(c.model, c.outcome) for c in calls] == [("tiny", "schema_failed"), ("ep/big", "ok")]
    decisions = of_type(events, "routing_decision")
    assert [(d.phase, d.trigger, d.chosen) for d in decisions] == [
        ("initial", None, "tiny"),
        ("escalation", "schema", "ep/big"),
    ]
    tried = {c["model"]: c["rejected"] for c in decisions[1].candidates}
    assert tried["tiny"] == "already tried for this node"
    (done,) = [e for e in events if isinstance(e, NodeSucceeded) and e.node_id == "ask"]
    assert done.model == "ep/big" and done.cost_usd == pytest.approx(calls[1].cost_usd)
    assert done.prompt_tokens == calls[0].prompt_tokens + calls[1].prompt_tokens


def test_without_escalation_a_schema_failure_fails_the_node_as_before() -> None:
    config = {"prompt": "{{ q }}", "output_schema": SCHEMA}
    result, _ = run_with(
        [ScriptedLocal(["nope"]), remote(Recorder([(200, sse("x"), {})]))], llm_workflow(config)
    )
    assert result.status == "failed" and "output schema" in (result.error or "")


def test_low_confidence_escalates_to_a_better_model() -> None:
    shaky = Recorder([(200, sse("maybe", logprob=-3.0), {})])
    sure = Recorder([(200, sse("surely", logprob=-0.01), {})])
    config = {
        "prompt": "{{ q }}",
        "route": {"min_quality": "standard", "escalate": {"min_confidence": 0.5}},
    }
    providers = [
        ScriptedLocal(["x"]),
        remote(shaky, "mid", ("m",), tier="standard"),
        remote(sure, "top", ("t",), tier="hard", price_in=5.0),
    ]
    result, events = run_with(providers, llm_workflow(config))
    assert result.outputs == {"o": "surely"}
    assert shaky.bodies[0]["logprobs"] is True
    calls = of_type(events, "model_call")
    assert [(c.model, c.outcome) for c in calls] == [("mid/m", "low_confidence"), ("top/t", "ok")]
    assert calls[0].confidence == pytest.approx(0.0498, abs=1e-3)
    assert of_type(events, "routing_decision")[1].trigger == "low_confidence"


def test_local_error_escalates_and_remote_errors_walk_the_fallback_chain() -> None:
    rec = Recorder([(200, sse("rescued"), {})])
    config = {"prompt": "{{ q }}", "route": {"escalate": {"on_local_error": True}}}
    result, events = run_with(
        [ScriptedLocal([fail("out of memory")]), remote(rec)], llm_workflow(config)
    )
    assert result.outputs == {"o": "rescued"}
    assert of_type(events, "routing_decision")[1].trigger == "local_error"

    broken = Recorder([(500, b"down", {})])
    config = {"prompt": "{{ q }}", "route": {"model": "ep/big", "fallback": ["tiny"]}}
    result, events = run_with(
        [ScriptedLocal(["local saves the day"]), remote(broken)], llm_workflow(config)
    )
    assert result.outputs == {"o": "local saves the day"} and len(broken.requests) == 3
    decisions = of_type(events, "routing_decision")
    assert [(d.phase, d.chosen) for d in decisions] == [("initial", "ep/big"), ("fallback", "tiny")]
    assert [c.outcome for c in of_type(events, "model_call")] == ["error", "ok"]


def test_an_exhausted_chain_fails_with_the_last_error() -> None:
    config = {"prompt": "{{ q }}", "route": {"model": "ep/big", "fallback": ["tiny"]}}
    result, _ = run_with(
        [ScriptedLocal([fail("local broke")]), remote(Recorder([(500, b"", {})]))],
        llm_workflow(config),
    )
    assert result.status == "failed" and "local broke" in (result.error or "")


@pytest.mark.parametrize("sensitivity", ["confidential", "local_only"])
def test_sensitive_nodes_never_reach_a_remote_endpoint(sensitivity: str) -> None:
    rec = Recorder([(200, sse('{"label": "pos"}'), {})])
    route = {"sensitivity": sensitivity, "escalate": {"to": "ep/big"}, "fallback": ["ep/big"]}
    config = {"prompt": "{{ q }}", "output_schema": SCHEMA, "route": route}
    result, events = run_with([ScriptedLocal(["bad"]), remote(rec)], llm_workflow(config))
    assert result.status == "failed" and rec.requests == []
    escalation = of_type(events, "routing_decision")[1]
    assert escalation.chosen is None
    assert f"{sensitivity} data never leaves" in escalation.candidates[0]["rejected"]
    pinned = {"prompt": "{{ q }}", "route": {"sensitivity": sensitivity, "model": "ep/big"}}
    result, _ = run_with([ScriptedLocal(["x"]), remote(rec)], llm_workflow(pinned))
    assert result.status == "failed" and "never leaves this machine" in (result.error or "")
    assert rec.requests == []


def test_allowed_models_are_honoured_before_the_route_policy() -> None:
    rec = Recorder([(200, sse("r"), {})])
    config = {"prompt": "{{ q }}", "route": {"tier": "hard"}}
    result, events = run_with(
        [ScriptedLocal(["l"]), remote(rec)], llm_workflow(config, {"allowed_models": ["tiny"]})
    )
    assert result.outputs == {"o": "l"} and rec.requests == []
    rejected = {
        c["model"]: c["rejected"] for c in of_type(events, "routing_decision")[0].candidates
    }
    assert rejected["ep/big"] == "not in the workflow's allowed_models"
    result, _ = run_with(
        [ScriptedLocal(["l"]), remote(rec)], llm_workflow(config, {"allowed_models": ["ep/*"]})
    )
    assert result.outputs == {"o": "r"}


@pytest.mark.parametrize("switch", ["policy", "env"])
def test_offline_runs_fail_clearly_or_fall_back_locally(
    switch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = {"offline": True} if switch == "policy" else {}
    if switch == "env":
        monkeypatch.setenv("INTERLOCK_OFFLINE", "1")
    rec = Recorder([(200, sse("r"), {})])
    config = {"prompt": "{{ q }}", "route": {"model": "ep/big"}}
    result, events = run_with([ScriptedLocal(["l"]), remote(rec)], llm_workflow(config, policy))
    assert result.status == "failed" and "offline: this node can only run on model ep/big" in (
        result.error or ""
    )
    (failed,) = [e for e in events if isinstance(e, NodeFailed)]
    assert failed.error_class == "offline"
    config["route"]["offline_fallback"] = "local"
    result, events = run_with([ScriptedLocal(["l"]), remote(rec)], llm_workflow(config, policy))
    assert result.outputs == {"o": "l"}
    assert any(
        isinstance(e, NodeLog) and e.level == "warning" and "running locally" in e.message
        for e in events
    )
    assert "offline_fallback" in (of_type(events, "routing_decision")[-1].warning or "")
    assert rec.requests == []


def test_an_endpoint_out_of_rotation_is_skipped_for_the_fallback_chain() -> None:
    broken = Recorder([(503, b"", {})])
    ep = remote(broken)
    ep.breaker.threshold = 3
    config = {"prompt": "{{ q }}", "route": {"model": "ep/big", "fallback": ["tiny"]}}
    providers = [ScriptedLocal(["local"]), ep]
    run_with(providers, llm_workflow(config))  # 3 failed requests open the circuit
    assert ep.breaker.state == "open" and len(broken.requests) == 3
    result, events = run_with(providers, llm_workflow(config))
    assert result.outputs == {"o": "local"} and len(broken.requests) == 3
    first, second = of_type(events, "routing_decision")
    assert first.chosen is None and "circuit open" in first.candidates[-1]["rejected"]
    assert (second.phase, second.trigger, second.chosen) == ("fallback", "unavailable", "tiny")
