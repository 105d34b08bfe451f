"""`interlock route calibrate`: fit an llm node's escalation thresholds on a dataset and
show (or, with --write, save) the route policy that reaches the quality target cheapest."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from engine.cli.context import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from engine.cli.dataset_commands import open_db
from engine.cli.eval_commands import ProgressBar, _evaluator
from engine.errors import RunError, WorkflowLoadError
from engine.evaluation.datasets import DatasetError
from engine.routing.calibration import ALWAYS_ESCALATE, CascadePoint

if TYPE_CHECKING:
    from engine.evaluation.calibrate import Calibration


def add_parsers(sub: Any, db_option: Any) -> None:
    p = sub.add_parser("route", help="tune llm nodes' model routing on data")
    rsub = p.add_subparsers(dest="route_command", metavar="ACTION", required=True)
    q = rsub.add_parser(
        "calibrate",
        help="fit a node's escalation thresholds: cheapest cascade reaching --target",
    )
    q.add_argument("source", help="an eval file, or a workflow file (then DATASET)")
    q.add_argument("dataset", nargs="?", help="JSONL/CSV file or stored dataset name")
    q.add_argument("--node", required=True, help="the llm (or map-of-llm) node to calibrate")
    q.add_argument(
        "--target",
        type=float,
        default=0.98,
        help="quality to keep, as a share of the top rung's score (default 0.98)",
    )
    q.add_argument("--ladder", help="comma-separated model ids, first rung first")
    q.add_argument("--output", help="the workflow output (or node.port) to score")
    q.add_argument("--limit", type=int, help="only the first N rows")
    which = q.add_mutually_exclusive_group()
    which.add_argument(
        "--point",
        type=int,
        metavar="N",
        help="apply frontier point N as printed (1 = the cheapest) instead of the cheapest "
        "reaching --target",
    )
    which.add_argument(
        "--threshold",
        metavar="T[,T...]",
        help="apply these thresholds instead, one for each rung but the last (skip: the rung "
        "never answers); the cascade is simulated on the same rows",
    )
    q.add_argument(
        "--from-eval",
        metavar="EVAL_ID",
        help="no model calls: take the rows of an earlier calibration's evaluation (its id "
        "is printed), e.g. to apply another point of its frontier",
    )
    q.add_argument("--write", action="store_true", help="save the calibrated route")
    q.add_argument("--report", metavar="HTML", help="write the frontier chart")
    q.add_argument("--json", action="store_true")
    q.add_argument("--quiet", "-q", action="store_true")
    db_option(q)
    q.set_defaults(handler=cmd_calibrate)


def _shown(thresholds: tuple[float, ...], ladder: list[str]) -> str:
    parts = []
    for model, value in zip(ladder[:-1], thresholds, strict=False):
        shown = "skip" if value >= ALWAYS_ESCALATE else f"{value:.3f}"
        parts.append(f"{model}>={shown}")
    return ", ".join(parts) + f", then {ladder[-1]}"


def _point_json(point: CascadePoint) -> dict[str, Any]:
    return {
        "thresholds": list(point.thresholds[:-1]),
        "score": point.score,
        "remote_share": point.remote_share,
        "cost_usd": point.cost_usd,
        "answered_by": list(point.answered_by),
        "escalated_share": point.escalated_share,
    }


def _thresholds(text: str) -> list[float]:
    values = []
    for part in text.split(","):
        part = part.strip().lower()
        try:
            values.append(ALWAYS_ESCALATE if part == "skip" else float(part))
        except ValueError:
            raise RunError(
                f"--threshold takes numbers or skip, comma-separated: {text!r}"
            ) from None
    return values


def _picked(result: Calibration, args: argparse.Namespace) -> Calibration:
    """The calibration with the point --point or --threshold asks for applied."""
    from engine.evaluation.calibrate import at_thresholds, pick

    if args.point is not None:
        if not 1 <= args.point <= len(result.frontier):
            raise RunError(f"--point {args.point}: the frontier has {len(result.frontier)} points")
        return pick(result, result.frontier[args.point - 1])
    if args.threshold is not None:
        return pick(result, at_thresholds(result, _thresholds(args.threshold)))
    return result


def cmd_calibrate(args: argparse.Namespace) -> int:
    from engine.evaluation.calibrate import (
        apply_calibration,
        calibrate,
        eval_for,
        stored_calibration,
    )
    from engine.evaluation.spec import load_eval
    from engine.workflow.loader import load_workflow, save_workflow

    usage = None
    if args.point is not None and args.point < 1:
        usage = "--point counts from 1 (the cheapest)"
    elif args.from_eval and (args.ladder or args.limit or args.dataset):
        usage = "--from-eval reuses that evaluation's ladder, dataset and rows"
    source = Path(args.source)
    is_eval = source.name.endswith(".eval.yaml")
    if not is_eval and args.dataset is None and not args.from_eval:
        usage = "give a DATASET after the workflow file"
    if usage is not None:
        print(f"interlock: error: {usage}", file=sys.stderr)
        return EXIT_USAGE
    loaded = None
    try:
        if is_eval:
            loaded = load_eval(source)
        elif args.dataset is not None:
            loaded = eval_for(source, args.dataset, args.output)
    except WorkflowLoadError as exc:
        for problem in exc.problems:
            print(problem.format(str(source)), file=sys.stderr)
        return EXIT_USAGE
    ladder = [m.strip() for m in args.ladder.split(",") if m.strip()] if args.ladder else None
    store = open_db(args.db)
    try:
        evaluator = _evaluator(store)
        try:
            if args.from_eval or loaded is None:
                result = stored_calibration(evaluator, args.from_eval, args.node, args.target)
            else:
                result = asyncio.run(
                    calibrate(
                        evaluator,
                        loaded,
                        args.node,
                        args.target,
                        ladder=ladder,
                        limit=args.limit,
                        on_row=ProgressBar(quiet=args.quiet),
                    )
                )
            result = _picked(result, args)
        except (RunError, DatasetError) as exc:
            print(f"interlock: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except WorkflowLoadError as exc:
            for problem in exc.problems:
                print(problem.format(str(source)), file=sys.stderr)
            return EXIT_USAGE
        workflow_path = loaded.resolve(loaded.spec.workflow) if loaded else source.resolve()
        workflow = load_workflow(workflow_path).workflow
        if not any(n.id == args.node for n in workflow.nodes):
            print(f"interlock: error: {workflow_path} has no node {args.node!r}", file=sys.stderr)
            return EXIT_USAGE
        calibrated = apply_calibration(workflow, result)
        node = next(n for n in calibrated.nodes if n.id == args.node)
    finally:
        store.close()
    route = node.config.get("route") or node.config.get("template", {}).get("config", {}).get(
        "route"
    )
    if args.report:
        from engine.evaluation.report import frontier_html

        Path(args.report).write_text(frontier_html(result), encoding="utf-8")
    if args.json:
        print(
            json.dumps(
                {
                    "node": result.node_id,
                    "ladder": result.ladder,
                    "rung_scores": result.rung_scores,
                    "target": result.target,
                    "met": result.met,
                    "chosen": _point_json(result.chosen),
                    "picked": _point_json(result.picked) if result.picked else None,
                    "picked_met": result.reaches_target(result.picked) if result.picked else None,
                    "frontier": [_point_json(p) for p in result.frontier],
                    "route": route,
                    "eval_id": result.eval_id,
                },
                indent=2,
            )
        )
    else:
        _print(result, route)
    if args.write:
        save_workflow(calibrated, workflow_path)
        print(f"wrote the calibrated route of {args.node} to {workflow_path}", file=sys.stderr)
    # a point picked by hand is the user's call; the target only drives the automatic choice
    return EXIT_OK if result.met or result.picked is not None else EXIT_FAILED


def _print(result: Calibration, route: Any) -> None:
    d = result.dataset
    print(
        f"calibration of {result.node_id} on {d.name}@{d.hash[:12]} ({len(result.rows)} rows, "
        f"evaluation {result.eval_id})"
    )
    print("each rung alone:")
    for model, score, remote in zip(
        result.ladder, result.rung_scores, result.rung_remote, strict=True
    ):
        print(f"  {model:<28} score {score:.3f}  {'remote' if remote else 'local'}")
    print("frontier (cheapest first; * the target's choice, > the point applied):")
    print("     #  remote share   escalated   cost USD     score   thresholds")
    for number, point in enumerate(result.frontier, 1):
        mark = ">" if point == result.picked else "*" if point == result.chosen else " "
        print(
            f" {mark}{number:4}  {100 * point.remote_share:8.1f}%   "
            f"{100 * point.escalated_share:8.1f}%  {point.cost_usd:10.6f}  "
            f"{point.score:6.3f}   {_shown(point.thresholds, result.ladder)}"
        )
    wanted = result.target * result.top_score
    shown = [("chosen", result.chosen)]
    if result.picked is not None:
        shown.append(("applied instead", result.picked))
    for label, point in shown:
        verdict = "reaches" if result.reaches_target(point) else "does NOT reach"
        print(
            f"{label}: score {point.score:.3f} with {100 * point.remote_share:.1f}% remote, "
            f"{100 * point.escalated_share:.1f}% escalated; "
            f"{verdict} the target {result.target} x {result.top_score:.3f} = {wanted:.3f}"
            + ("" if point in result.frontier else f" ({_shown(point.thresholds, result.ladder)})")
        )
    print("route policy:")
    text = yaml.safe_dump({"route": route}, sort_keys=False, default_flow_style=None)
    for line in text.splitlines():
        print(f"  {line}")
