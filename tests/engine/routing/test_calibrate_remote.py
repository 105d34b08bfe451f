"""Calibrating a ladder whose middle rung is a remote endpoint (over the transport seam, and
a real llama_cpp.server on 127.0.0.1): the middle rung is judged as in a run — asked for
logprobs, its confidence recorded and its thresholds swept — while the top rung is never
asked for them."""

from __future__ import annotations

import asyncio
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.evaluation.calibrate import (
    apply_calibration,
    at_thresholds,
    calibrate,
    eval_for,
    pick,
    rung_route,
)
from engine.evaluation.runner import Evaluator
from engine.nodes import default_registry
from engine.providers.base import ProviderRegistry
from engine.providers.local import LocalProvider
from engine.providers.remote import Endpoint, RemoteProvider
from engine.routing.calibration import ALWAYS_ESCALATE
from engine.routing.events import ModelCall
from engine.routing.policy import RoutePolicy
from engine.runtime.validate import validate
from engine.store.memory import MemoryRunStore
from engine.workflow.loader import load_workflow, save_workflow
from local_models import ModelCatalog
from tests.engine.routing.mock_remote import Recorder, ScriptedLocal, remote, streamed

DATA = Path(__file__).resolve().parents[2] / "data" / "calibration"
LADDER = ["smollm2-135m-instruct", "mid/smollm2", "top/smollm2"]


def copy_fixture(folder: Path) -> Path:
    for name in ("topic.interlock.yaml", "messages.jsonl"):
        shutil.copy(DATA / name, folder / name)
    return folder / "topic.interlock.yaml"


def test_each_rung_below_the_top_runs_alone_with_the_ladder_above_it() -> None:
    routes = [rung_route(["a", "b", "c"], i) for i in range(3)]
    assert routes[2] == {"model": "c", "escalate": None, "fallback": []}
    for route, above in zip(routes[:2], (["b", "c"], ["c"]), strict=True):
        policy = RoutePolicy.model_validate(route)
        assert policy.escalate is not None and policy.escalate.to == above
        # judged (a threshold), but no answer falls below it and nothing else escalates
        assert policy.escalate.min_confidence == 0.0 and not policy.escalate.on_schema_failure
        assert not policy.escalate.on_local_error and policy.escalate.agreement is None
        # every escalation key is given, so none of the node's own survives the merge
        assert set(route["escalate"]) == set(type(policy.escalate).model_fields)


def test_a_remote_middle_rung_is_asked_for_logprobs_and_the_top_rung_never(
    tmp_path: Path,
) -> None:
    answer = '{"topic": "billing"}'
    mid, top = Recorder([streamed(answer, logprob=-0.5)]), Recorder([streamed(answer)])
    providers = ProviderRegistry(
        [ScriptedLocal([answer], "tiny", 0.9), remote(mid, "mid", ("m",)), remote(top, "top")],
        default_model="tiny",
    )
    # The node's own escalation (a verifier, a threshold) is not what a rung runs alone with.
    workflow = copy_fixture(tmp_path)
    text = workflow.read_text("utf-8").replace(
        "      max_tokens: 16\n",
        "      max_tokens: 16\n      route: {escalate: {min_confidence: 0.99, "
        "verify: {prompt: 'ok? {{ answer }}'}}}\n",
    )
    assert "verify" in text
    workflow.write_text(text, "utf-8")
    store = MemoryRunStore()
    try:
        evaluator = Evaluator(default_registry(), providers, store)
        loaded = eval_for(workflow, str(tmp_path / "messages.jsonl"), None)
        ladder = ["tiny", "mid/m", "top/big"]
        result = asyncio.run(calibrate(evaluator, loaded, "label", 0.9, ladder=ladder, limit=4))
    finally:
        store.close()
    assert [row[1].confidence for row in result.rows] == [pytest.approx(math.exp(-0.5))] * 4
    assert [row[2].confidence for row in result.rows] == [None] * 4
    assert [(b["logprobs"], b["top_logprobs"]) for b in mid.bodies] == [(True, 0)] * 4
    assert len(top.bodies) == 4 and not any("logprobs" in b for b in top.bodies)
    assert {p.thresholds[1] for p in result.points} > {0.0, ALWAYS_ESCALATE}


@pytest.mark.slow
@pytest.mark.model
def test_a_remote_middle_rung_is_judged_and_the_top_rung_never_asked_for_logprobs(
    llama_server: str, tmp_path: Path
) -> None:
    workflow = copy_fixture(tmp_path)
    local = LocalProvider(ModelCatalog(tmp_path / "data"))
    mid = RemoteProvider(Endpoint("mid", llama_server, ("smollm2",), 0.1, 0.1, "standard", 2048))
    top = RemoteProvider(Endpoint("top", llama_server, ("smollm2",), 1.0, 1.0, "hard", 2048))
    store = MemoryRunStore()
    try:
        providers = ProviderRegistry([local, mid, top], default_model=LADDER[0])
        evaluator = Evaluator(default_registry(), providers, store)
        # Two rows at once on one server (started with --interrupt_requests False).
        loaded = eval_for(workflow, str(tmp_path / "messages.jsonl"), None, concurrency=2)
        result = asyncio.run(calibrate(evaluator, loaded, "label", 0.9, ladder=LADDER, limit=3))
        calls: dict[str, list[ModelCall]] = {}
        for row in store.row_results(result.eval_id):
            calls.setdefault(row.variant, []).extend(
                e for e in store.events(row.run_id or "") if isinstance(e, ModelCall)
            )
    finally:
        store.close()
        local.close()

    assert result.ladder == LADDER and result.rung_remote == [False, True, True]
    assert len(result.rows) == 3
    middle = [row[1].confidence for row in result.rows]
    assert all(c is not None and 0 < c <= 1 for c in middle), middle
    assert all(row[2].confidence is None for row in result.rows)  # judged by nobody
    # What the trace records of each call: logprobs asked below the top only.
    assert [(c.model, c.logprobs) for c in calls["rung1"]] == [(LADDER[1], True)] * 3
    assert [(c.model, c.logprobs, c.confidence) for c in calls["rung2"]] == [
        (LADDER[2], False, None)
    ] * 3
    assert all(c.confidence is not None for c in calls["rung0"])  # local: always reported

    # The sweep offers thresholds at the middle rung's observed confidences.
    swept = {p.thresholds[1] for p in result.points}
    assert any(0 < t < ALWAYS_ESCALATE for t in swept), swept
    lowest = min(c for c in middle if c is not None)
    sent_up = at_thresholds(result, [ALWAYS_ESCALATE, lowest + 1e-6])
    assert sent_up.answered_by[2] >= 1  # the least confident row climbs to the top

    # A point judging the middle rung is written as a route that validates.
    point = at_thresholds(result, [0.5, lowest + 1e-6])
    changed = apply_calibration(load_workflow(workflow).workflow, pick(result, point))
    save_workflow(changed, workflow)
    loaded_back = load_workflow(workflow)
    assert validate(loaded_back.workflow, default_registry(), loaded_back.locations, tmp_path).ok
    node = next(n for n in loaded_back.workflow.nodes if n.id == "label")
    route = RoutePolicy.model_validate(node.config["route"])
    assert route.model == LADDER[0] and route.escalate is not None
    steps: list[Any] = route.escalate.to  # type: ignore[assignment]
    assert steps[0].model == LADDER[1] and steps[0].min_confidence == round(lowest + 1e-6, 4)
    assert steps[1] == LADDER[2]
    assert route.escalate.calibration is not None and route.escalate.calibration.rows == 3
