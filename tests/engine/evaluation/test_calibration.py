"""Calibrating an escalation ladder: the cascade simulation, the frontier and the choice on
known rows, the route it writes, and a real calibration on the bundled models from a
shipped dataset that writes a policy which validates."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.errors import RunError
from engine.evaluation.calibrate import (
    Calibration,
    at_thresholds,
    calibrate,
    calibrated_route,
    eval_for,
    pick,
    stored_calibration,
)
from engine.evaluation.runner import Evaluator
from engine.nodes import default_registry
from engine.providers.base import ModelRequest, ModelResult, ProviderRegistry, TokenCallback
from engine.routing.calibration import (
    ALWAYS_ESCALATE,
    RungOutcome,
    choose,
    frontier,
    simulate,
    sweep,
)
from engine.routing.policy import RoutePolicy
from engine.runtime.validate import validate
from engine.store import open_store
from engine.store.evaluation_records import DatasetInfo
from engine.workflow.loader import load_workflow

DATA = Path(__file__).resolve().parents[2] / "data" / "calibration"


def rung(
    correct: bool, confidence: float | None, cost: float = 0.0, remote: bool = False
) -> RungOutcome:
    return RungOutcome(correct, confidence, cost, remote)


# Small model: right when confident (0.9), wrong when not (0.3); the remote top rung is
# always right and costs 0.01 a row.
ROWS = [
    [rung(True, 0.9), rung(True, None, 0.01, True)],
    [rung(True, 0.8), rung(True, None, 0.01, True)],
    [rung(False, 0.3), rung(True, None, 0.01, True)],
    [rung(False, 0.2), rung(True, None, 0.01, True)],
]


def test_simulate_climbs_until_a_rung_is_confident_enough() -> None:
    point = simulate(ROWS, (0.5, 0.0))
    assert point.score == 1.0 and point.remote_share == 0.5
    assert point.answered_by == (2, 2) and point.cost_usd == pytest.approx(0.02)
    assert simulate(ROWS, (0.0, 0.0)).score == 0.5  # never escalate: the small model's half
    always = simulate(ROWS, (ALWAYS_ESCALATE, 0.0))
    assert (always.score, always.remote_share) == (1.0, 1.0)


def test_the_choice_is_the_cheapest_point_reaching_the_target() -> None:
    points = sweep(ROWS)
    best = frontier(points)
    assert [p.remote_share for p in best] == sorted(p.remote_share for p in best)
    assert [p.score for p in best] == sorted(p.score for p in best)
    chosen, met = choose(points, top_score=1.0, target=0.98)
    assert met and chosen.score == 1.0 and chosen.remote_share == 0.5
    cheap, met = choose(points, top_score=1.0, target=0.5)
    assert met and cheap.remote_share == 0.0
    impossible, met = choose(points, top_score=1.0, target=1.5)
    assert not met and impossible.score == 1.0


def result_for(thresholds: tuple[float, ...], ladder: list[str]) -> Calibration:
    chosen = simulate([[rung(True, 0.9) for _ in ladder]], thresholds)
    return Calibration(
        "label",
        ladder,
        [0.5, 0.7, 1.0][: len(ladder)],
        [False] * len(ladder),
        [],
        [chosen],
        [chosen],
        chosen,
        True,
        0.98,
        DatasetInfo("msgs", "ab" * 32, 12, 0.0),
        "ev1",
    )


def test_the_written_route_keeps_other_triggers_and_drops_rungs_never_used() -> None:
    route = {"tier": "routine", "escalate": {"on_schema_failure": True, "to": "auto"}}
    written = calibrated_route(route, result_for((0.6, 0.7, 0.0), ["a", "b", "c"]))
    assert written["model"] == "a" and written["tier"] == "routine"
    escalate = written["escalate"]
    assert escalate["on_schema_failure"] is True and escalate["min_confidence"] == 0.6
    assert escalate["to"] == [{"model": "b", "min_confidence": 0.7}, "c"]
    assert escalate["calibration"]["dataset"] == f"msgs@{'ab' * 6}"
    RoutePolicy.model_validate(written)
    skipped = calibrated_route({}, result_for((0.6, ALWAYS_ESCALATE, 0.0), ["a", "b", "c"]))
    assert skipped["escalate"]["to"] == ["c"]
    first_skipped = calibrated_route({}, result_for((ALWAYS_ESCALATE, 0.0), ["a", "b"]))
    assert first_skipped["model"] == "b" and "to" not in first_skipped["escalate"]


@pytest.mark.slow
@pytest.mark.model
def test_calibrating_on_the_bundled_models_writes_a_policy_that_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("topic.interlock.yaml", "messages.jsonl"):
        shutil.copy(DATA / name, tmp_path / name)
    workflow = tmp_path / "topic.interlock.yaml"
    code = main(
        [
            "route", "calibrate", str(workflow), str(tmp_path / "messages.jsonl"),
            "--node", "label", "--target", "0.9", "--limit", "6", "--write", "--json",
            "--quiet", "--db", str(tmp_path / "runs.db"), "--report", str(tmp_path / "f.html"),
        ]
    )  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == (0 if out["met"] else 1)
    assert out["ladder"] == ["smollm2-135m-instruct", "gemma3-270m"]
    assert len(out["rung_scores"]) == 2 and out["frontier"]
    loaded = load_workflow(workflow)
    assert validate(loaded.workflow, default_registry(), loaded.locations, tmp_path).ok
    node = next(n for n in loaded.workflow.nodes if n.id == "label")
    route = RoutePolicy.model_validate(node.config["route"])
    assert route.escalate is not None and route.escalate.calibration is not None
    assert route.escalate.calibration.rows == 6
    assert route.escalate.calibration.dataset.startswith("messages@")
    assert route.model in out["ladder"]
    assert node.config["examples"]  # the rest of the node is kept
    assert "<svg" in (tmp_path / "f.html").read_text("utf-8")


def test_a_picked_point_is_applied_and_recorded() -> None:
    result = result_for((0.6, 0.0), ["a", "b"])
    cheaper = simulate([[rung(True, 0.9), rung(True, 0.9)]], (0.0, 0.0))
    picked = pick(result, cheaper)
    assert picked.applied == cheaper and picked.chosen == result.chosen
    written = calibrated_route({}, picked)
    assert written["model"] == "a" and "min_confidence" not in written["escalate"]
    record = written["escalate"]["calibration"]
    assert record["picked"] is True and record["expected_score"] == cheaper.score
    assert RoutePolicy.model_validate(written).escalate.calibration.picked  # type: ignore[union-attr]
    assert pick(picked, result.chosen).picked is None  # the target's choice again
    assert "picked" not in calibrated_route({}, result)["escalate"]["calibration"]


def test_thresholds_of_ones_own_are_simulated_on_the_rows() -> None:
    result = result_for((0.6, 0.0), ["a", "b"])
    result = Calibration(**{**result.__dict__, "rows": ROWS})
    point = at_thresholds(result, [0.5])
    assert point == simulate(ROWS, (0.5, 0.0)) and point.remote_share == 0.5
    assert at_thresholds(result, [ALWAYS_ESCALATE]).answered_by == (0, 4)
    with pytest.raises(RunError, match="give 1 threshold, one for each rung but the last"):
        at_thresholds(result, [0.5, 0.6])
    with pytest.raises(RunError, match="from 0 to 1"):
        at_thresholds(result, [2.0])


class Keyword:
    """A local model labelling topics: `small` answers billing for everything (confident
    only on billing words); `big` is always right."""

    name = "local"
    WORDS = {
        "billing": ("bill", "invoice", "payment"),
        "shipping": ("package", "courier", "deliver", "arrived", "box"),
        "account": ("password", "username", "email", "login"),
    }

    def __init__(self, model: str) -> None:
        self.model = model

    def models(self) -> list[str]:
        return [self.model]

    async def generate(
        self, model: str, request: ModelRequest, on_token: TokenCallback | None = None
    ) -> ModelResult:
        assert request.messages is not None
        text = request.messages[-1].content.lower()
        topic = next((t for t, ws in self.WORDS.items() if any(w in text for w in ws)), "?")
        sure = model == "big" or topic == "billing"
        reply = json.dumps({"topic": topic if model == "big" else "billing"})
        return ModelResult(
            reply, model, self.name, json_valid=True, json_value=json.loads(reply),
            extra={"confidence": 0.9 if sure else 0.4},
        )  # fmt: skip


def test_another_frontier_point_is_applied_from_the_stored_evaluation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("topic.interlock.yaml", "messages.jsonl"):
        shutil.copy(DATA / name, tmp_path / name)
    workflow, db = tmp_path / "topic.interlock.yaml", str(tmp_path / "runs.db")
    store = open_store(db)
    try:
        providers = ProviderRegistry([Keyword("small"), Keyword("big")], default_model="small")
        evaluator = Evaluator(default_registry(), providers, store)  # type: ignore[arg-type]
        loaded = eval_for(workflow, str(tmp_path / "messages.jsonl"), None)
        ran = asyncio.run(calibrate(evaluator, loaded, "label", 0.98, ladder=["small", "big"]))
        again = stored_calibration(evaluator, ran.eval_id, "label", 0.98)
    finally:
        store.close()
    assert (ran.rung_scores, ran.chosen.score) == ([4 / 12, 1.0], 1.0)
    assert again.frontier == ran.frontier and again.chosen == ran.chosen
    assert [p.score for p in ran.frontier] == [4 / 12, 1.0]

    def calibrate_again(*extra: str) -> tuple[int, str]:
        args = ["route", "calibrate", str(workflow), "--node", "label", "--db", db]
        code = main([*args, "--from-eval", ran.eval_id, *extra])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, out = calibrate_again("--point", "1", "--write")
    assert code == 0, out  # the target is missed, but the user chose that point
    assert ">   1 " in out and "*   2 " in out
    assert "applied instead: score 0.333" in out and "does NOT reach" in out
    node = next(n for n in load_workflow(workflow).workflow.nodes if n.id == "label")
    route = RoutePolicy.model_validate(node.config["route"])
    assert route.model == "small" and route.escalate is not None
    assert route.escalate.calibration is not None and route.escalate.calibration.picked
    assert route.escalate.calibration.expected_score == round(4 / 12, 4)

    code, out = calibrate_again("--threshold", "0.5", "--json")
    data = json.loads(out)
    assert code == 0 and data["picked"]["thresholds"] == [0.5] and data["picked_met"]
    assert data["route"]["escalate"]["min_confidence"] == 0.5
    code, out = calibrate_again("--threshold", "skip", "--json")
    assert json.loads(out)["route"]["model"] == "big"  # the small rung never answers
    assert calibrate_again("--point", "3") == (
        2,
        "interlock: error: --point 3: the frontier has 2 points\n",
    )
