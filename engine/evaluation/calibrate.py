"""Calibrating one llm node's escalation ladder from an evaluation: each rung of the ladder
runs alone over the dataset (as variants of one evaluation), judged as in a run (a rung
below the top reports its confidence, an endpoint too), the cascade is simulated for
threshold choices on what they did, and the cheapest thresholds that reach the quality
target are written into the node's route policy with a record of the calibration. Nothing
changes until the caller saves the workflow: routing learns nothing silently."""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import RunError
from engine.evaluation.runner import Evaluator, RowCallback
from engine.evaluation.spec import (
    EvalSpec,
    LoadedEval,
    NodeOverride,
    ScorerSpec,
    Variant,
)
from engine.evaluation.variants import llm_target
from engine.providers.base import ChatMessage, ModelRequest
from engine.routing.calibration import (
    ALWAYS_ESCALATE,
    CascadePoint,
    RungOutcome,
    choose,
    frontier,
    simulate,
    sweep,
)
from engine.routing.events import ModelCall
from engine.routing.policy import Escalation, RoutePolicy
from engine.routing.router import Router
from engine.store.evaluation_records import DatasetInfo, EvaluationRecord, RowResult
from engine.workflow.loader import Locations
from engine.workflow.model import Workflow

NO_ESCALATION: dict[str, Any] = {"escalate": None, "fallback": []}


def rung_route(rungs: Sequence[str], index: int) -> dict[str, Any]:
    """The route changes rung `index` runs alone with: its model and no fallback; below the
    top, also the ladder above it with a threshold no confidence falls below and no other
    trigger. Routing then decides whether the rung's confidence is judged exactly as in a
    run (an endpoint is asked for logprobs when a rung above can take the call), while the
    rung still answers every row itself. The top rung is judged by nobody: no logprobs."""
    above = list(rungs[index + 1 :])
    if not above:
        return {"model": rungs[index], **NO_ESCALATION}
    judged = Escalation(on_schema_failure=False, on_local_error=False, min_confidence=0.0, to=above)
    return {"model": rungs[index], "fallback": [], "escalate": judged.model_dump(mode="json")}


@dataclass(frozen=True)
class Calibration:
    """What a calibration found: each rung alone, the frontier, and the choice."""

    node_id: str
    ladder: list[str]
    rung_scores: list[float]
    rung_remote: list[bool]
    rows: list[list[RungOutcome]]
    points: list[CascadePoint]
    frontier: list[CascadePoint]
    chosen: CascadePoint
    met: bool
    target: float
    dataset: DatasetInfo
    eval_id: str
    picked: CascadePoint | None = None
    """A point the user applies instead of `chosen` (see `pick`)."""

    @property
    def top_score(self) -> float:
        return self.rung_scores[-1] if self.rung_scores else 0.0

    @property
    def applied(self) -> CascadePoint:
        """The cascade the written route runs: the picked point, else the target's choice."""
        return self.picked if self.picked is not None else self.chosen

    def reaches_target(self, point: CascadePoint) -> bool:
        return point.score >= self.target * self.top_score - 1e-12


def pick(result: Calibration, point: CascadePoint) -> Calibration:
    """The calibration applying `point` (a frontier point, or `at_thresholds`) instead of
    the cheapest one reaching the target; picking the target's choice undoes a pick."""
    return dataclasses.replace(result, picked=None if point == result.chosen else point)


def at_thresholds(result: Calibration, thresholds: Sequence[float]) -> CascadePoint:
    """The cascade with these thresholds, one per rung but the last (`ALWAYS_ESCALATE`: the
    rung never answers), simulated on the calibration's rows."""
    wanted = len(result.ladder) - 1
    if len(thresholds) != wanted:
        rungs = ", ".join(result.ladder[:-1])
        raise RunError(
            f"give {wanted} threshold{'s' if wanted != 1 else ''}, one for each rung but the "
            f"last ({rungs}); {len(thresholds)} given"
        )
    for value in thresholds:
        if not 0 <= value <= ALWAYS_ESCALATE:
            raise RunError(f"a threshold is a confidence from 0 to 1 (or skip), not {value}")
    return simulate(result.rows, (*thresholds, 0.0))


def eval_for(workflow: Path, dataset: str, output: str | None, concurrency: int = 2) -> LoadedEval:
    """An eval of `workflow` on `dataset` with one exact-match scorer (JSON compared as
    data), for calibrating without an eval file."""
    spec = EvalSpec(
        name=f"calibration of {workflow.name}",
        workflow=str(workflow.resolve()),
        dataset=dataset if not Path(dataset).exists() else str(Path(dataset).resolve()),
        scorers=[ScorerSpec(id="correct", type="exact", output=output)],
        concurrency=concurrency,
    )
    return LoadedEval(spec, Locations(), None)


def _node_config(workflow: Workflow, node_id: str) -> dict[str, Any]:
    node = next((n for n in workflow.nodes if n.id == node_id), None)
    if node is None:
        raise RunError(f"the workflow has no node {node_id!r}")
    target = llm_target(copy.deepcopy(node.config), node.kind)
    if target is None:
        raise RunError(f"node {node_id!r} is a {node.kind} node; calibrate an llm node")
    return target


def default_ladder(evaluator: Evaluator, workflow: Workflow, node_id: str) -> list[str]:
    """The node's own ladder: its first model (pinned, or the provider default), then its
    explicit `escalate.to`, else the auto ladder above the first model."""
    config = _node_config(workflow, node_id)
    route = RoutePolicy.model_validate(config.get("route") or {})
    pinned = route.model if route.model != "auto" else str(config.get("model", "auto"))
    first = pinned if pinned != "auto" else evaluator.providers.default_model
    if first is None:
        raise RunError("no first model: pin one on the node or pass --ladder")
    if route.escalate is not None and (explicit := route.escalate.ladder()) is not None:
        return [first, *(step.model for step in explicit)]
    request = ModelRequest(
        messages=[ChatMessage("user", "x")],
        max_tokens=int(config.get("max_tokens", 256)),
        json_schema=config.get("output_schema"),
    )
    router = Router(evaluator.providers, workflow.policy)
    return [first, *router.auto_ladder(route, request, first, ())]


async def calibrate(
    evaluator: Evaluator,
    loaded: LoadedEval,
    node_id: str,
    target: float,
    *,
    ladder: Sequence[str] | None = None,
    limit: int | None = None,
    on_row: RowCallback | None = None,
) -> Calibration:
    """Run every rung alone over the dataset (one evaluation, a variant per rung, see
    `rung_route`), then choose thresholds. Raises RunError for a node or ladder that cannot
    be calibrated."""
    base = evaluator.prepare(loaded)
    rungs = list(ladder) if ladder else default_ladder(evaluator, base.workflow, node_id)
    if len(rungs) < 2:
        raise RunError(f"the ladder {rungs} has one rung: nothing to calibrate")
    variants = [
        Variant(name=f"rung{i}", nodes={node_id: NodeOverride(route=rung_route(rungs, i))})
        for i in range(len(rungs))
    ]
    spec = loaded.spec.model_copy(update={"variants": variants})
    prepared = evaluator.prepare(LoadedEval(spec, loaded.locations, loaded.path))
    record = await evaluator.run(prepared, limit=limit, on_row=on_row)
    return _calibration(evaluator, record.eval_id, node_id, rungs, target, prepared.dataset)


def stored_calibration(
    evaluator: Evaluator, eval_id: str, node_id: str, target: float
) -> Calibration:
    """A calibration from the stored evaluation of an earlier one (its rows, no model
    calls), e.g. to apply another point of its frontier."""
    record = evaluator.store.get_evaluation(eval_id)
    if record is None:
        raise RunError(f"no evaluation {eval_id!r} in the store")
    rungs = _rungs_of(record, node_id)
    dataset = evaluator.store.find_dataset(record.dataset_hash) or DatasetInfo(
        record.dataset_name, record.dataset_hash, 0, record.started_at
    )
    return _calibration(evaluator, eval_id, node_id, rungs, target, dataset)


def _rungs_of(record: EvaluationRecord, node_id: str) -> list[str]:
    """The ladder a calibration evaluation ran: variant `rungN` pins rung N's model."""
    rungs: list[str] = []
    for variant in record.spec.get("variants") or []:
        override = (variant.get("nodes") or {}).get(node_id) or {}
        model = (override.get("route") or {}).get("model")
        if variant.get("name") != f"rung{len(rungs)}" or not isinstance(model, str):
            break
        rungs.append(model)
    if len(rungs) < 2:
        raise RunError(f"evaluation {record.eval_id} is not a calibration of node {node_id!r}")
    return rungs


def _calibration(
    evaluator: Evaluator,
    eval_id: str,
    node_id: str,
    rungs: list[str],
    target: float,
    dataset: DatasetInfo,
) -> Calibration:
    """Choose thresholds on what each rung did in evaluation `eval_id`."""
    names = [f"rung{i}" for i in range(len(rungs))]
    results = evaluator.store.row_results(eval_id)
    by_rung: dict[str, dict[int, RowResult]] = {}
    for result in results:
        if result.repeat == 0:
            by_rung.setdefault(result.variant, {})[result.row_index] = result
    indexes = sorted(set.intersection(*(set(by_rung.get(n, {})) for n in names)))
    rows = [
        [_outcome(evaluator, by_rung[name][index], node_id) for name in names] for index in indexes
    ]
    if not rows:
        raise RunError("no row ran on every rung: nothing to calibrate on")
    scores = [sum(r[i].correct for r in rows) / len(rows) for i in range(len(rungs))]
    remote = [any(r[i].remote for r in rows) for i in range(len(rungs))]
    points = sweep(rows)
    chosen, met = choose(points, scores[-1], target)
    return Calibration(
        node_id,
        rungs,
        scores,
        remote,
        rows,
        points,
        frontier(points),
        chosen,
        met,
        target,
        dataset,
        eval_id,
    )


def _outcome(evaluator: Evaluator, result: RowResult, node_id: str) -> RungOutcome:
    """A rung's answer on a row: right when the row passed; its confidence the lowest of
    the node's answer calls (a map's items each answer)."""
    confidences = [
        e.confidence
        for e in evaluator.store.events(result.run_id or "")
        if isinstance(e, ModelCall) and e.node_id == node_id and e.purpose == "answer"
    ]
    known = [c for c in confidences if c is not None]
    return RungOutcome(
        correct=result.passed,
        confidence=min(known) if known else None,
        cost_usd=result.cost_usd,
        remote=result.remote_calls > 0,
    )


def calibrated_route(route: dict[str, Any], result: Calibration) -> dict[str, Any]:
    """The node's route with the applied ladder and thresholds and the calibration record;
    rungs the choice never lets answer are left out."""
    point = result.applied
    thresholds = point.thresholds
    kept = [
        (model, thresholds[i])
        for i, model in enumerate(result.ladder)
        if i == len(result.ladder) - 1 or thresholds[i] < ALWAYS_ESCALATE
    ]
    escalate = dict(route.get("escalate") or {})
    for key in ("to", "min_confidence", "calibration"):
        escalate.pop(key, None)
    first, first_threshold = kept[0]
    route = {**route, "model": first}
    if len(kept) > 1:
        if first_threshold > 0:
            escalate["min_confidence"] = round(first_threshold, 4)
        steps: list[Any] = []
        for model, threshold in kept[1:-1]:
            steps.append({"model": model, "min_confidence": round(threshold, 4)})
        steps.append(kept[-1][0])
        escalate["to"] = steps
    d = result.dataset
    escalate["calibration"] = {
        "dataset": f"{d.name}@{d.hash[:12]}",
        "date": time.strftime("%Y-%m-%d"),
        "target": result.target,
        "expected_score": round(point.score, 4),
        "expected_remote_share": round(point.remote_share, 4),
        "top_score": round(result.top_score, 4),
        "rows": len(result.rows),
    }
    if result.picked is not None:
        escalate["calibration"]["picked"] = True
    route["escalate"] = escalate
    RoutePolicy.model_validate(route)  # what is written must load
    return route


def apply_calibration(workflow: Workflow, result: Calibration) -> Workflow:
    """A copy of `workflow` whose calibrated node carries the chosen route."""
    changed = workflow.model_copy(deep=True)
    node = next(n for n in changed.nodes if n.id == result.node_id)
    config = copy.deepcopy(node.config)
    target = llm_target(config, node.kind)
    assert target is not None
    target["route"] = calibrated_route(dict(target.get("route") or {}), result)
    node.config = config
    return changed
