"""Calibrating an escalation ladder: the cascade simulation, the frontier and the choice on
known rows, the route it writes, and a real calibration on the bundled models from a
shipped dataset that writes a policy which validates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.evaluation.calibrate import Calibration, calibrated_route
from engine.evaluation.records import DatasetInfo
from engine.nodes import default_registry
from engine.routing.calibration import (
    ALWAYS_ESCALATE,
    RungOutcome,
    choose,
    frontier,
    simulate,
    sweep,
)
from engine.routing.policy import RoutePolicy
from engine.workflow.loader import load_workflow
from engine.workflow.validate import validate

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
