"""Low-confidence escalation from the real local model: the local provider reports its
answer's confidence, and the trace records it with the route's threshold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.providers.local import LocalProvider
from local_models import SMOLLM2_ID, ModelCatalog
from local_models.bundled import GEMMA3_ID
from tests.engine.routing.conftest import llm_workflow, of_type, run_with
from tests.engine.routing.mock_remote import Recorder, remote, sse

pytestmark = [pytest.mark.slow, pytest.mark.model]

SHAKY = {
    "prompt": "Write one sentence about {{ q }}.",
    "model": SMOLLM2_ID,
    "max_tokens": 24,
    "route": {"escalate": {"min_confidence": 0.99}},
}


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    provider = LocalProvider(ModelCatalog(tmp_path_factory.mktemp("data")))
    yield provider
    provider.close()


def _decision(events: list[Any], phase: str) -> Any:
    (decision,) = [d for d in of_type(events, "routing_decision") if d.phase == phase]
    return decision


def test_a_low_confidence_answer_climbs_the_auto_ladder_local_then_remote(
    local: LocalProvider,
) -> None:
    rec = Recorder([(200, sse("from the endpoint", logprob=-0.001), {})])
    endpoint = remote(rec, tier="standard")
    config = {k: v for k, v in SHAKY.items() if k != "model"}
    result, events = run_with(
        [local, endpoint], llm_workflow(config), SMOLLM2_ID, inputs={"q": "rain"}
    )
    assert result.status == "succeeded", result.error
    assert result.outputs == {"o": "from the endpoint"}
    calls = of_type(events, "model_call")
    # SmolLM2, then the bigger local rung (Gemma, a base model, on a few-shot prompt),
    # then the best remote model: each rung's answer judged against the threshold.
    assert [(c.model, c.outcome) for c in calls] == [
        (SMOLLM2_ID, "low_confidence"),
        (GEMMA3_ID, "low_confidence"),
        ("ep/big", "ok"),
    ]
    assert all(0.0 < c.confidence < 0.99 for c in calls[:2])
    assert calls[2].confidence == pytest.approx(0.999, abs=1e-3)
    escalations = [d for d in of_type(events, "routing_decision") if d.phase == "escalation"]
    assert [(d.trigger, d.chosen) for d in escalations] == [
        ("low_confidence", GEMMA3_ID),
        ("low_confidence", "ep/big"),
    ]
    assert [d.confidence for d in escalations] == [calls[0].confidence, calls[1].confidence]
    assert {d.threshold for d in escalations} == {0.99}


def test_an_explicit_ladder_uses_each_steps_own_threshold(local: LocalProvider) -> None:
    rec = Recorder([(200, sse("from the endpoint", logprob=-0.001), {})])
    endpoint = remote(rec, tier="standard")
    ladder = [{"model": GEMMA3_ID, "min_confidence": 0.01}, "ep/big"]
    config = {**SHAKY, "route": {"escalate": {"min_confidence": 0.99, "to": ladder}}}
    result, events = run_with(
        [local, endpoint], llm_workflow(config), SMOLLM2_ID, inputs={"q": "rain"}
    )
    assert result.status == "succeeded", result.error
    calls = of_type(events, "model_call")
    # Gemma's answer passes its own low bar, so the remote rung is never called.
    assert [(c.model, c.outcome) for c in calls] == [
        (SMOLLM2_ID, "low_confidence"),
        (GEMMA3_ID, "ok"),
    ]
    assert rec.requests == []
    assert result.outputs["o"]


def test_with_nowhere_to_escalate_the_low_confidence_answer_stands(local: LocalProvider) -> None:
    only_smollm = {"allowed_models": [SMOLLM2_ID]}
    result, events = run_with([local], llm_workflow(SHAKY, only_smollm), inputs={"q": "rain"})
    assert result.status == "succeeded", result.error
    (call,) = of_type(events, "model_call")
    assert (call.model, call.outcome) == (SMOLLM2_ID, "low_confidence")
    assert 0.0 < call.confidence < 0.99
    assert result.outputs["o"]
    escalation = _decision(events, "escalation")
    assert escalation.trigger == "low_confidence" and escalation.chosen is None
    assert (escalation.confidence, escalation.threshold) == (call.confidence, 0.99)
    assert "allowed_models" in " ".join(str(c["rejected"]) for c in escalation.candidates)


def test_a_confident_enough_local_answer_is_kept(local: LocalProvider) -> None:
    config = {**SHAKY, "route": {"escalate": {"min_confidence": 0.01}}}
    result, events = run_with([local], llm_workflow(config), inputs={"q": "rain"})
    assert result.status == "succeeded", result.error
    (call,) = of_type(events, "model_call")
    assert call.outcome == "ok" and call.confidence > 0.01
    assert [d.phase for d in of_type(events, "routing_decision")] == ["initial"]
