"""Escalation ladders and the checks that climb them: an explicit ladder in order with each
rung judged, agreement between two answers, a verifier's yes/no, and the few-shot prompt a
completion-only model gets."""

from __future__ import annotations

import json

from engine.providers.base import ChatMessage, ModelRequest
from engine.routing.policy import Escalation, LadderStep
from engine.routing.prompting import few_shot_request, needs_completion
from tests.engine.routing.conftest import llm_workflow, of_type, run_with
from tests.engine.routing.mock_remote import Recorder, ScriptedLocal, remote, sse, streamed

SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["pos", "neg"]}},
    "required": ["label"],
}
POS, NEG = '{"label": "pos"}', '{"label": "neg"}'


def classify(escalate: dict[str, object]) -> dict[str, object]:
    return {"prompt": "{{ q }}", "output_schema": SCHEMA, "route": {"escalate": escalate}}


def escalations(events: list[object]) -> list[tuple[str | None, str | None]]:
    return [(d.trigger, d.chosen) for d in of_type(events, "routing_decision")[1:]]  # type: ignore[arg-type]


def test_an_explicit_ladder_is_climbed_in_order_until_an_answer_passes() -> None:
    rec = Recorder([(200, sse(POS), {})])
    tiny, mid = ScriptedLocal(["not json"], "tiny"), ScriptedLocal(["still not json"], "mid")
    config = classify({"on_schema_failure": True, "to": ["mid", "ep/big"]})
    result, events = run_with([tiny, mid, remote(rec)], llm_workflow(config), "tiny")
    assert result.status == "succeeded", result.error
    calls = of_type(events, "model_call")
    assert [(c.model, c.outcome) for c in calls] == [
        ("tiny", "schema_failed"),
        ("mid", "schema_failed"),
        ("ep/big", "ok"),
    ]
    assert escalations(events) == [("schema", "mid"), ("schema", "ep/big")]


def test_a_passing_rung_stops_the_climb() -> None:
    rec = Recorder([(200, sse(POS), {})])
    tiny, mid = ScriptedLocal(["not json"], "tiny"), ScriptedLocal([NEG], "mid")
    config = classify({"on_schema_failure": True, "to": ["mid", "ep/big"]})
    result, events = run_with([tiny, mid, remote(rec)], llm_workflow(config), "tiny")
    assert result.status == "succeeded" and rec.requests == []
    assert [c.model for c in of_type(events, "model_call")] == ["tiny", "mid"]


def test_disagreeing_answers_escalate_and_agreeing_ones_stand() -> None:
    rec = Recorder([(200, sse(POS), {})])
    tiny = ScriptedLocal([POS, NEG], "tiny")
    config = classify({"agreement": {"samples": 2, "temperature": 0.9}})
    result, events = run_with([tiny, remote(rec)], llm_workflow(config), "tiny")
    assert result.status == "succeeded"
    calls = of_type(events, "model_call")
    assert [(c.model, c.purpose) for c in calls] == [
        ("tiny", "answer"),
        ("tiny", "agreement"),
        ("ep/big", "answer"),
    ]
    (decision,) = [d for d in of_type(events, "routing_decision") if d.phase == "escalation"]
    assert (decision.trigger, decision.chosen) == ("disagreement", "ep/big")
    assert "{'label': 'pos'}" in decision.warning and "{'label': 'neg'}" in decision.warning
    second = tiny.requests[1]
    assert (second.temperature, second.seed) == (0.9, 1)

    rec = Recorder([(200, sse(POS), {})])
    agreeing = ScriptedLocal([POS, POS], "tiny")
    result, events = run_with([agreeing, remote(rec)], llm_workflow(config), "tiny")
    assert result.status == "succeeded" and rec.requests == []
    assert [c.purpose for c in of_type(events, "model_call")] == ["answer", "agreement"]


def test_agreement_with_a_second_model() -> None:
    rec = Recorder([(200, sse(POS), {})])
    tiny, other = ScriptedLocal([POS], "tiny"), ScriptedLocal([NEG], "other")
    config = classify({"agreement": {"model": "other"}, "to": ["ep/big"]})
    result, events = run_with([tiny, other, remote(rec)], llm_workflow(config), "tiny")
    assert result.status == "succeeded"
    assert [(c.model, c.purpose) for c in of_type(events, "model_call")] == [
        ("tiny", "answer"),
        ("other", "agreement"),
        ("ep/big", "answer"),
    ]
    assert other.requests[0].temperature == 0.0  # a second model is asked as the first was


def test_a_verifier_saying_no_escalates() -> None:
    verify = {"prompt": "Question: {{ question }} Answer: {{ answer }}. Correct?"}
    for verdict, escalated in (('{"ok": "no"}', True), ('{"ok": "yes"}', False)):
        rec = Recorder([(200, sse(NEG), {})])
        tiny = ScriptedLocal([POS, verdict], "tiny")
        result, events = run_with(
            [tiny, remote(rec)], llm_workflow(classify({"verify": verify})), "tiny", {"q": "meh"}
        )
        assert result.status == "succeeded"
        asked = tiny.requests[1]
        assert asked.messages is not None
        assert asked.messages[-1].content == f"Question: meh Answer: {POS}. Correct?"
        triggers = [t for t, _ in escalations(events)]
        assert triggers == (["verifier"] if escalated else [])
        assert bool(rec.requests) == escalated


def test_policy_ladder_forms() -> None:
    assert Escalation().ladder() is None
    assert Escalation(to="x").ladder() == [LadderStep(model="x")]
    steps = Escalation.model_validate({"to": ["a", {"model": "b", "min_confidence": 0.7}]})
    assert steps.ladder() == [LadderStep(model="a"), LadderStep(model="b", min_confidence=0.7)]


def test_a_chat_request_becomes_a_few_shot_prompt_for_a_base_model() -> None:
    request = ModelRequest(
        messages=[ChatMessage("system", "Label reviews."), ChatMessage("user", "Great lamp")],
        examples=(("Broken on arrival", json.dumps({"label": "neg"})),),
        stop=("###",),
    )
    assert needs_completion(("completion", "json"), request)
    assert not needs_completion(("chat", "completion"), request)
    assert not needs_completion(None, request)
    prompt = few_shot_request(request)
    assert prompt.messages is None
    assert prompt.prompt == (
        'Label reviews.\n\nInput: Broken on arrival\nOutput: {"label": "neg"}\n\n'
        "Input: Great lamp\nOutput:"
    )
    assert prompt.stop == ("###", "\nInput:", "\n\n")


def test_logprobs_are_asked_for_only_where_a_confidence_is_judged() -> None:
    rec = Recorder([streamed(POS, logprob=-3.0)])
    tiny = ScriptedLocal([NEG], "tiny", confidence=0.2)
    config = classify({"min_confidence": 0.5, "to": ["ep/big"]})
    result, events = run_with([tiny, remote(rec)], llm_workflow(config), "tiny")
    assert result.status == "succeeded", result.error
    assert tiny.requests[0].logprobs  # judged: below 0.5 it climbs to ep/big
    assert "logprobs" not in rec.bodies[0] and "top_logprobs" not in rec.bodies[0]
    calls = of_type(events, "model_call")
    assert [(c.model, c.outcome, c.confidence) for c in calls] == [
        ("tiny", "low_confidence", 0.2),
        ("ep/big", "ok", None),  # the last rung: nobody judges it, so nothing was asked
    ]


def test_a_rung_with_its_own_threshold_is_judged_and_the_top_is_not() -> None:
    mid = Recorder([streamed(NEG, logprob=-3.0)])
    top = Recorder([streamed(POS, logprob=-3.0)])
    tiny = ScriptedLocal(["not json"], "tiny")
    config = classify({"to": [{"model": "mid/m", "min_confidence": 0.5}, "top/t"]})
    providers = [tiny, remote(mid, "mid", ("m",)), remote(top, "top", ("t",))]
    result, events = run_with(providers, llm_workflow(config), "tiny")
    assert result.outputs == {"o": POS}
    assert not tiny.requests[0].logprobs  # no threshold on the first rung
    assert (mid.bodies[0]["logprobs"], mid.bodies[0]["top_logprobs"]) == (True, 0)
    assert "logprobs" not in top.bodies[0]
    assert escalations(events) == [("schema", "mid/m"), ("low_confidence", "top/t")]


def test_checks_and_unescalatable_calls_ask_for_no_logprobs() -> None:
    tiny = ScriptedLocal([POS], "tiny", confidence=0.9)
    config = classify({"min_confidence": 0.5, "agreement": {"samples": 2}, "to": ["ep/big"]})
    offline = {"offline": True}
    result, _ = run_with(
        [tiny, remote(Recorder([(200, sse(POS), {})]))], llm_workflow(config, offline), "tiny"
    )
    assert result.status == "succeeded", result.error
    # offline, ep/big cannot take the call: nobody would act on the first answer's confidence
    assert [(r.logprobs, r.temperature) for r in tiny.requests] == [(False, 0.0), (False, 0.7)]
