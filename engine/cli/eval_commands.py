"""`interlock eval`: run an eval file, resume or re-run its failing rows, list, show,
compare and report evaluations. Exit 1 when the eval file's gate (min_score,
min_pass_rate) is not met, so CI can fail on quality."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from engine.cli.cluster_commands import add_cluster_option
from engine.cli.context import EXIT_FAILED, EXIT_OK, EXIT_USAGE, default_providers
from engine.cli.dataset_commands import open_db
from engine.errors import RunError, WorkflowLoadError
from engine.evaluation.datasets import DatasetError
from engine.evaluation.summary import (
    EvalSummary,
    compare,
    expected_rows,
    row_json,
    summarize,
    summary_json,
)
from engine.store.evaluation_records import EvaluationRecord, RowResult
from engine.store.evaluations import EvalStore

ACTIONS = ("run", "resume", "rerun", "list", "show", "compare", "report", "schema", "validate")


def normalize_argv(argv: list[str]) -> list[str]:
    """`interlock eval FILE ...` is `interlock eval run FILE ...`."""
    for i, arg in enumerate(argv):
        if arg == "eval":
            rest = argv[i + 1 :]
            if rest and not rest[0].startswith("-") and rest[0] not in ACTIONS:
                return [*argv[: i + 1], "run", *rest]
            return argv
        if not arg.startswith("-"):
            return argv
    return argv


def add_parsers(sub: Any, db_option: Any) -> None:
    p = sub.add_parser("eval", help="evaluate a workflow on a dataset (interlock eval EVALFILE)")
    esub = p.add_subparsers(dest="eval_command", metavar="ACTION", required=True)

    def run_options(q: argparse.ArgumentParser) -> None:
        q.add_argument("--concurrency", type=int, help="rows run at once (default: the file's)")
        q.add_argument("--json", action="store_true", help="print the summary as JSON")
        q.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
        db_option(q)
        add_cluster_option(q)

    q = esub.add_parser("run", help="run an eval file (the default action)")
    q.add_argument("file")
    q.add_argument("--variant", action="append", default=[], help="only this variant (repeatable)")
    q.add_argument("--limit", type=int, help="only the first N rows")
    run_options(q)
    q.set_defaults(handler=cmd_eval)
    q = esub.add_parser("resume", help="finish an interrupted evaluation")
    q.add_argument("eval_id")
    run_options(q)
    q.set_defaults(handler=cmd_resume)
    q = esub.add_parser("rerun", help="a new evaluation of only the rows that failed in one")
    q.add_argument("eval_id")
    run_options(q)
    q.set_defaults(handler=cmd_rerun)
    q = esub.add_parser("list", help="recent evaluations")
    q.add_argument("--limit", type=int, default=20)
    q.add_argument("--json", action="store_true")
    db_option(q)
    q.set_defaults(handler=cmd_list)
    q = esub.add_parser("show", help="one evaluation's summary and failing rows")
    q.add_argument("eval_id")
    q.add_argument("--json", action="store_true")
    db_option(q)
    q.set_defaults(handler=cmd_show)
    q = esub.add_parser("compare", help="rows whose outcome changed from A to B")
    q.add_argument("eval_a")
    q.add_argument("eval_b")
    q.add_argument("--json", action="store_true")
    db_option(q)
    q.set_defaults(handler=cmd_compare)
    q = esub.add_parser("report", help="export an evaluation as HTML or JSON")
    q.add_argument("eval_id")
    q.add_argument("--format", choices=("html", "json"), default="html")
    q.add_argument("-o", "--output", required=True)
    db_option(q)
    q.set_defaults(handler=cmd_report)
    q = esub.add_parser("schema", help="print the eval file's JSON Schema")
    q.set_defaults(handler=cmd_schema)
    q = esub.add_parser("validate", help="check an eval file (and its workflow and dataset)")
    q.add_argument("file")
    db_option(q)
    q.set_defaults(handler=cmd_validate)


def _err(message: str) -> int:
    print(f"interlock: error: {message}", file=sys.stderr)
    return EXIT_USAGE


class ProgressBar:
    """Rows done on stderr: a redrawn bar on a terminal, a line per row otherwise."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self.passed = 0

    def __call__(self, result: RowResult, done: int, total: int) -> None:
        self.passed += int(result.passed)
        if self.quiet:
            return
        mark = "pass" if result.passed else "FAIL"
        if self.tty:
            width = 30
            filled = int(width * done / max(total, 1))
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r\x1b[2K[{bar}] {done}/{total} rows, {self.passed} passed")
            if done == total:
                self.stream.write("\n")
        else:
            self.stream.write(
                f"[{done}/{total}] {result.variant} row {result.row_index}"
                f"{f' repeat {result.repeat}' if result.repeat else ''}: {mark}"
                f" (run {result.run_id or '-'})\n"
            )
        self.stream.flush()


def _evaluator(store: EvalStore) -> Any:
    from engine.evaluation.runner import Evaluator
    from engine.nodes import default_registry

    return Evaluator(default_registry(), default_providers(), store)


def _running_evaluator(store: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    """An evaluator whose rows (and their map items) run on the cluster `--cluster` or the
    config's [cluster] names, and what closes that connection (None: none was made)."""
    from engine.cli.cluster_commands import executor_for, runs_for
    from engine.evaluation.runner import Evaluator
    from engine.nodes import default_registry

    items, cluster = executor_for(args, store)
    runs = runs_for(items)
    evaluator = Evaluator(default_registry(), default_providers(), store, items=items, runs=runs)
    return evaluator, cluster


def load_summary(store: EvalStore, record: EvaluationRecord) -> tuple[EvalSummary, list[RowResult]]:
    results = store.row_results(record.eval_id)
    info = store.find_dataset(record.dataset_hash)
    dataset_rows = info.row_count if info is not None else 0
    return summarize(record, results, expected_rows(record, dataset_rows)), results


def print_summary(summary: EvalSummary, results: list[RowResult], out: TextIO) -> None:
    r = summary.record
    print(
        f"evaluation {r.eval_id}: {r.name} on {r.dataset_name}@{r.dataset_hash[:12]} "
        f"({summary.done_rows}/{summary.expected_rows} rows, {r.status})",
        file=out,
    )
    for name, v in summary.variants.items():
        print(
            f"  {name}: pass {v.passed}/{v.rows} ({100 * v.pass_rate:.1f}%), "
            f"cost ${v.cost_usd:.6f}, {v.tokens} tokens, remote {100 * v.remote_share:.0f}% "
            f"of {v.model_calls} calls, latency p50 {v.latency_p50_s:.2f}s "
            f"p95 {v.latency_p95_s:.2f}s",
            file=out,
        )
        for s in v.scorers.values():
            print(
                f"    {s.scorer:<20} mean {s.mean:.3f}  95% CI [{s.low:.3f}, {s.high:.3f}]  "
                f"pass {100 * s.pass_rate:.1f}%",
                file=out,
            )
        if v.scoring_cost_usd:
            print(f"    scoring cost ${v.scoring_cost_usd:.6f} (not in the cost above)", file=out)
    failing = [x for x in results if not x.passed]
    if failing:
        print(f"  failing rows ({len(failing)}):", file=out)
        for x in failing[:20]:
            reasons = "; ".join(
                f"{k}: {s.reason or f'{s.score:.2f}'}" for k, s in x.scores.items() if not s.passed
            )
            error = f" [{x.run_status}: {x.error}]" if x.error else ""
            print(
                f"    {x.variant} row {x.row_index}: run {x.run_id or '-'}{error} {reasons[:160]}",
                file=out,
            )
        if len(failing) > 20:
            print(f"    ... {len(failing) - 20} more (interlock eval report)", file=out)
    if summary.gate_failures:
        print("  gate NOT met:", file=out)
        for failure in summary.gate_failures:
            print(f"    {failure}", file=out)
    elif r.spec.get("min_score") is not None or r.spec.get("min_pass_rate") is not None:
        print("  gate met", file=out)


def _finish(args: argparse.Namespace, store: EvalStore, record: EvaluationRecord) -> int:
    summary, results = load_summary(store, record)
    if args.json:
        data = summary_json(summary)
        print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print_summary(summary, results, sys.stdout)
    return EXIT_OK if summary.gate_ok else EXIT_FAILED


def _print_problems(exc: WorkflowLoadError, file: str) -> int:
    for problem in exc.problems:
        print(problem.format(file), file=sys.stderr)
    return EXIT_USAGE


def cmd_eval(args: argparse.Namespace) -> int:
    from engine.evaluation.spec import load_eval

    try:
        loaded = load_eval(args.file)
    except WorkflowLoadError as exc:
        return _print_problems(exc, args.file)
    store = open_db(args.db)
    cluster = None
    try:
        evaluator, cluster = _running_evaluator(store, args)
        try:
            prepared = evaluator.prepare(loaded, variants=args.variant or None)
        except WorkflowLoadError as exc:
            return _print_problems(exc, args.file)
        except DatasetError as exc:
            return _err(str(exc))
        progress = ProgressBar(quiet=args.quiet)
        record = asyncio.run(
            evaluator.run(prepared, limit=args.limit, concurrency=args.concurrency, on_row=progress)
        )
        return _finish(args, store, record)
    finally:
        _close(cluster)
        store.close()


def _close(cluster: Any) -> None:
    if cluster is not None:
        cluster.close()


def cmd_resume(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    cluster = None
    try:
        evaluator, cluster = _running_evaluator(store, args)
        try:
            record = asyncio.run(
                evaluator.resume(
                    args.eval_id,
                    concurrency=args.concurrency,
                    on_row=ProgressBar(quiet=args.quiet),
                )
            )
        except (RunError, WorkflowLoadError, DatasetError) as exc:
            return _err(str(exc))
        return _finish(args, store, record)
    finally:
        _close(cluster)
        store.close()


def cmd_rerun(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    cluster = None
    try:
        earlier = store.get_evaluation(args.eval_id)
        if earlier is None:
            return _err(f"no evaluation {args.eval_id!r}")
        failing = sorted({r.row_index for r in store.row_results(earlier.eval_id) if not r.passed})
        if not failing:
            print(f"evaluation {earlier.eval_id} has no failing rows", file=sys.stderr)
            return EXIT_OK
        evaluator, cluster = _running_evaluator(store, args)
        try:
            prepared = evaluator.prepare_rerun(earlier)
        except (RunError, WorkflowLoadError, DatasetError) as exc:
            return _err(str(exc))
        record = asyncio.run(
            evaluator.run(
                prepared,
                rows=failing,
                concurrency=args.concurrency,
                on_row=ProgressBar(quiet=args.quiet),
                parent_eval_id=earlier.eval_id,
            )
        )
        return _finish(args, store, record)
    finally:
        _close(cluster)
        store.close()


def cmd_list(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        records = store.list_evaluations(limit=args.limit)
        summaries = [load_summary(store, r)[0] for r in records]
    finally:
        store.close()
    if args.json:
        print(json.dumps([summary_json(s) for s in summaries], indent=2, allow_nan=False))
        return EXIT_OK
    if not summaries:
        print("no evaluations yet: interlock eval EVALFILE")
    for s in summaries:
        r = s.record
        rates = ", ".join(f"{n} {100 * v.pass_rate:.0f}%" for n, v in s.variants.items())
        print(
            f"{r.eval_id}  {r.status:<11} {s.done_rows:>5}/{s.expected_rows:<5} {r.name}  [{rates}]"
        )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        record = store.get_evaluation(args.eval_id)
        if record is None:
            return _err(f"no evaluation {args.eval_id!r}")
        summary, results = load_summary(store, record)
    finally:
        store.close()
    if args.json:
        data = summary_json(summary)
        data["rows"] = [row_json(r) for r in results]
        print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=str))
    else:
        print_summary(summary, results, sys.stdout)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        missing = [e for e in (args.eval_a, args.eval_b) if store.get_evaluation(e) is None]
        if missing:
            return _err(f"no evaluation {missing[0]!r}")
        changes = compare(store.row_results(args.eval_a), store.row_results(args.eval_b))
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "variant": c.variant,
                        "row": c.row_index,
                        "repeat": c.repeat,
                        "change": c.change,
                        "before": row_json(c.before),
                        "after": row_json(c.after),
                    }
                    for c in changes
                ],
                indent=2,
                ensure_ascii=False,
                default=str,
            )
        )
        return EXIT_OK
    if not changes:
        print(f"no row changed outcome from {args.eval_a} to {args.eval_b}")
    for c in changes:
        print(
            f"{c.change:<6} {c.variant} row {c.row_index} #{c.repeat}: "
            f"run {c.before.run_id or '-'} -> {c.after.run_id or '-'}"
        )
    fixed = sum(c.change == "fixed" for c in changes)
    broke = sum(c.change == "broke" for c in changes)
    print(f"{fixed} fixed, {broke} broke")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from engine.evaluation.report import render_eval_html, render_eval_json, write_run_reports
    from engine.reports import render

    store = open_db(args.db)
    out = Path(args.output)
    try:
        record = store.get_evaluation(args.eval_id)
        if record is None:
            return _err(f"no evaluation {args.eval_id!r}")
        summary, results = load_summary(store, record)
        if args.format == "json":
            text = render_eval_json(summary, results)
        else:
            links = write_run_reports(store, results, out, render)
            text = render_eval_html(summary, results, links)
    finally:
        store.close()
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from engine.evaluation.spec import eval_json_schema

    print(json.dumps(eval_json_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from engine.evaluation.spec import load_eval
    from engine.store import MEMORY

    try:
        loaded = load_eval(args.file)
    except WorkflowLoadError as exc:
        return _print_problems(exc, args.file)
    store = open_db(args.db or MEMORY)
    try:
        try:
            prepared = _evaluator(store).prepare(loaded)
        except WorkflowLoadError as exc:
            return _print_problems(exc, args.file)
        except DatasetError as exc:
            return _err(str(exc))
    finally:
        store.close()
    print(
        f"{args.file}: valid ({len(prepared.examples)} rows, {len(prepared.variants)} variant(s), "
        f"{len(loaded.spec.scorers)} scorer(s))",
        file=sys.stderr,
    )
    return EXIT_OK
