"""The engine's CLI commands: run, resume, validate, schema, runs, show."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from engine import jsontext
from engine.cli.approval_commands import approver_for
from engine.cli.batch import report_batch, run_rows
from engine.cli.cluster_commands import executor_for, runs_for
from engine.cli.context import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WAITING,
    default_providers,
    open_db,
)
from engine.cli.progress import ProgressPrinter
from engine.errors import RunError, WorkflowLoadError
from engine.nodes import builtin_registry, default_registry
from engine.nodes.schema import workflow_json_schema
from engine.readfile import read_regular_file
from engine.runtime.engine import Engine, RunResult, child_label
from engine.runtime.validate import validate
from engine.store.protocol import RunStore
from engine.trace.events import NodeCached, RunFinished, RunStarted
from engine.workflow.inputs import MAX_INPUT_BYTES, parse_cli_value, parse_json_text
from engine.workflow.loader import LoadedWorkflow, load_workflow, loads_workflow
from engine.workflow.model import ExecutorPolicy


def _load_valid(file: str) -> LoadedWorkflow | None:
    """Load and validate; print located problems and return None when invalid."""
    try:
        loaded = load_workflow(file)
    except WorkflowLoadError as exc:
        for problem in exc.problems:
            print(problem.format(file), file=sys.stderr)
        return None
    path = Path(file)
    report = validate(loaded.workflow, default_registry(), loaded.locations, path.parent, file=path)
    for problem in report.errors:
        print(problem.format(file), file=sys.stderr)
    return loaded if report.ok else None


def _parse_inputs(
    args: argparse.Namespace, loaded: LoadedWorkflow
) -> dict[str, Any] | list[dict[str, Any]]:
    """The run's input values, or a batch's (one run per row) when the inputs file holds a
    JSON list of objects; --input values apply to every row."""
    rows: list[dict[str, Any]] = [{}]
    batch = False
    if args.inputs_file:
        try:
            raw = read_regular_file(args.inputs_file, MAX_INPUT_BYTES)
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RunError(f"inputs file {args.inputs_file} is not UTF-8: {exc.reason}") from None
        except OSError as exc:
            raise RunError(f"cannot read inputs file {args.inputs_file}: {exc}") from None
        try:
            data = parse_json_text(text, "it")
        except RunError as exc:
            raise RunError(f"cannot read inputs file {args.inputs_file}: {exc}") from None
        batch = isinstance(data, list)
        rows = data if isinstance(data, list) else [data]
        if not rows or not all(isinstance(row, dict) for row in rows):
            raise RunError(
                f"inputs file {args.inputs_file} must hold a JSON object, or a non-empty "
                "list of them (a batch: one run per object)"
            )
    for item in args.input:
        name, sep, text = item.partition("=")
        if not sep:
            raise RunError(f"--input takes NAME=VALUE, got {item!r}")
        value = parse_cli_value(loaded.workflow.input_decl(name), text)
        for row in rows:
            row[name] = value
    return rows if batch else rows[0]


def _summary(result: RunResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "status": result.status,
        "outputs": result.outputs,
        "nodes": result.nodes,
        "error": result.error,
        "tokens": result.tokens,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cost_usd": result.cost_usd,
        "duration_s": round(result.duration_s, 6),
    }


def _report(args: argparse.Namespace, result: RunResult) -> int:
    if args.json:
        print(jsontext.dumps(_summary(result), ensure_ascii=False, indent=2, default=repr))
    elif result.outputs:
        for name, value in result.outputs.items():
            shown = value if isinstance(value, str) else jsontext.dumps(value, ensure_ascii=False)
            print(f"{name}: {shown}")
    if result.status == "waiting_approval":
        print(
            f"run {result.run_id} is waiting for approval: see `interlock approvals`",
            file=sys.stderr,
        )
        return EXIT_WAITING
    if result.status == "interrupted":
        print(
            f"run {result.run_id} was interrupted: {result.error}; what finished is kept: "
            f"`interlock resume {result.run_id}` runs the rest here (--no-cluster) or on "
            "another cluster (--cluster ADDRESS)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if result.status != "succeeded" and (note := _store_problem(result)):
        print(note, file=sys.stderr)
    return EXIT_OK if result.status == "succeeded" else EXIT_FAILED


def _store_problem(result: RunResult) -> str | None:
    """A plain word for a run stopped because its record could not be written."""
    error = result.error or ""
    lowered = error.lower()
    if "run store" not in lowered:
        return None
    if "disk is full" in lowered or "no space left" in lowered:
        what = "the disk is full"
    elif "disk i/o error" in lowered or "file too large" in lowered:
        what = "the run store's file could not be written"
    else:
        return None
    cause = error.rsplit(": ", 1)[-1]
    return (
        f"interlock: error: {what} ({cause}): run {result.run_id} stopped because it could "
        f"not be recorded; earlier runs are intact. Free some space, then "
        f"`interlock resume {result.run_id}`"
    )


def cmd_run(args: argparse.Namespace) -> int:
    if bool(args.from_node) != bool(args.run):
        print("interlock: error: --from-node and --run go together", file=sys.stderr)
        return EXIT_USAGE
    if args.from_node and (args.input or args.inputs_file):
        # The reused upstream results were computed from the earlier run's inputs.
        print(
            "interlock: error: --from-node re-runs with the inputs of --run; "
            "--input and --inputs-file cannot be given with it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    loaded = _load_valid(args.file)
    if loaded is None:
        return EXIT_USAGE
    inputs = _parse_inputs(args, loaded)
    store = open_db(args.db)
    if args.from_node and (refused := _imported(store, args.run, "re-run from a node")):
        store.close()
        raise RunError(refused)
    executor, cluster = executor_for(args, store, loaded.workflow.policy.executor)
    engine = Engine(
        default_registry(),
        default_providers(),
        store,
        use_cache=not args.no_cache,
        approver=approver_for(args.approve, store),
        executor=executor,
    )
    progress = ProgressPrinter(quiet=args.quiet)
    path = Path(args.file).resolve()
    if isinstance(inputs, list):
        runs = runs_for(executor)
        batch = run_rows(engine, runs, loaded.workflow, inputs, path, [progress], runs.at_once)
        try:
            results = asyncio.run(batch)
        finally:
            if cluster is not None:
                cluster.close()
            store.close()
        return report_batch(args, results, _summary)
    try:
        if args.from_node:
            coro = engine.rerun_from(
                args.run,
                args.from_node,
                workflow=loaded.workflow,
                base_dir=path.parent,
                workflow_path=str(path),
                subscribers=[progress],
            )
        else:
            coro = engine.run(
                loaded.workflow,
                inputs,
                base_dir=path.parent,
                workflow_path=str(path),
                subscribers=[progress],
            )
        result = asyncio.run(coro)
    finally:
        if cluster is not None:
            cluster.close()
        store.close()
    return _report(args, result)


def cmd_resume(args: argparse.Namespace) -> int:
    return continue_run(args)


def _imported(store: RunStore, run_id: str, action: str) -> str | None:
    """Why `action` is refused for `run_id` when it was imported from an export."""
    from engine.reports.export import refuse_imported  # jsonschema: only when needed

    return refuse_imported(store, run_id, action)


def continue_run(args: argparse.Namespace) -> int:
    """Resume `args.run_id` in this process (after a crash, or once approvals are decided)."""
    store = open_db(args.db)
    if refused := _imported(store, args.run_id, "resumed or continued"):
        store.close()
        raise RunError(refused)
    mode = args.approve or ("defer" if args.handler is not cmd_resume else None)
    executor, cluster = executor_for(args, store, _stated_executor(store, args.run_id))
    engine = Engine(
        default_registry(),
        default_providers(),
        store,
        approver=approver_for(mode, store),
        executor=executor,
    )
    try:
        result = asyncio.run(
            engine.resume(
                args.run_id,
                subscribers=[ProgressPrinter(quiet=args.quiet)],
                force=getattr(args, "force", False),
            )
        )
    finally:
        if cluster is not None:
            cluster.close()
        store.close()
    return _report(args, result)


def _stated_executor(store: RunStore, run_id: str) -> ExecutorPolicy | None:
    """The `policy.executor` of the workflow `run_id` ran (None: unstated, or not found:
    resuming says why)."""
    record = store.get_run(run_id)
    version = store.get_workflow(record.workflow_hash) if record is not None else None
    if version is None:
        return None
    try:
        return loads_workflow(version.content).workflow.policy.executor
    except WorkflowLoadError:
        return None


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        loaded = load_workflow(args.file)
    except WorkflowLoadError as exc:
        for problem in exc.problems:
            print(problem.format(args.file))
        return EXIT_USAGE
    path = Path(args.file)
    report = validate(loaded.workflow, default_registry(), loaded.locations, path.parent, file=path)
    for problem in report.errors:
        print(problem.format(args.file))
    for problem in report.warnings:
        line = problem.format(args.file)
        head, _, message = line.rpartition(": ")
        print(f"{head}: warning: {message}")
    if report.ok:
        print(f"{args.file}: valid ({len(loaded.workflow.nodes)} nodes)", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_USAGE


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(workflow_json_schema(builtin_registry()), indent=2, sort_keys=True))
    return EXIT_OK


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def cmd_runs(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        runs = store.list_runs(limit=args.limit)
    finally:
        store.close()
    if args.json:
        print(jsontext.dumps([_run_json(r) for r in runs], indent=2, default=repr))
        return EXIT_OK
    if not runs:
        print("no runs yet")
    for r in runs:
        took = f"{r.finished_at - r.started_at:.2f}s" if r.finished_at else "-"
        tokens = r.prompt_tokens + r.completion_tokens
        print(
            f"{r.run_id}  {_when(r.started_at)}  {r.status:<9} {took:>8}  {tokens:>6} tok  "
            f"{r.workflow_name}"
        )
    return EXIT_OK


def _run_json(r: Any) -> dict[str, Any]:
    """A run or attempt record as JSON data."""
    from dataclasses import asdict

    return asdict(r)


def cmd_cache_clear(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        count = store.cache_clear()
    finally:
        store.close()
    if args.json:
        print(json.dumps({"cleared": count}))
    else:
        print(f"cleared {count} cached node result{'s' if count != 1 else ''}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        run = store.get_run(args.run_id)
        if run is None:
            print(f"interlock: error: no run {args.run_id!r}", file=sys.stderr)
            return EXIT_USAGE
        attempts = store.attempts(args.run_id)
        approvals = store.list_approvals(status=None, run_id=args.run_id)
        events = store.events(args.run_id)
        calls = [e for e in events if e.type == "model_call"]
        ends = [e for e in events if isinstance(e, RunFinished)]
        reused = {e.node_id: e for e in events if isinstance(e, NodeCached)}
        children = store.child_runs(args.run_id)
        output_states = ends[-1].output_states if ends else {}
        starts = [e for e in events if isinstance(e, RunStarted)]
        imported = starts[0].imported if starts else None
    finally:
        store.close()
    if args.json:
        data = _run_json(run)
        data["attempts"] = [_run_json(a) for a in attempts]
        data["output_states"] = output_states
        data["imported"] = imported
        data["children"] = [
            {"run_id": c.run_id, "label": child_label(run.run_id, c.run_id), "status": c.status}
            for c in children
        ]
        # Every provider call: model, outcome, tokens, cost, seconds and confidence.
        data["model_calls"] = [{"node_id": e.node_id, **e.payload()} for e in calls]
        data["approvals"] = [
            {
                "request": a.request.to_json(),
                "status": a.status,
                "decision": a.decision.to_json() if a.decision else None,
            }
            for a in approvals
        ]
        print(jsontext.dumps(data, indent=2, ensure_ascii=False, default=repr))
        return EXIT_OK
    tokens = run.prompt_tokens + run.completion_tokens
    print(f"run {run.run_id}: {run.workflow_name} — {run.status}")
    if imported is not None:
        print(f"  imported from an export made {imported.get('exported_at') or '(date unknown)'}")
    print(
        f"  started {_when(run.started_at)}, "
        f"finished {_when(run.finished_at)}, "
        f"{tokens} tokens, ${run.cost_usd:.4f}"
    )
    if run.error:
        print(f"  error: {run.error}")
    if run.inputs:
        print(f"  inputs: {jsontext.dumps(run.inputs, ensure_ascii=False)[:200]}")
    for name, value in run.outputs.items():
        state = output_states.get(name)
        note = f" ({state})" if state not in (None, "succeeded", "cached") else ""
        print(f"  output {name}: {jsontext.dumps(value, ensure_ascii=False)[:200]}{note}")
    print("  nodes:")
    for a in attempts:
        finished_at = a.finished_at
        took = (
            f"{(finished_at - a.started_at) * 1000:.0f} ms" if finished_at and a.started_at else "-"
        )
        model = f" {a.model}" if a.model else ""
        label = " (fallback)" if a.fallback else ""
        if a.status == "cached" and (hit := reused.get(a.node_id)) is not None:
            origin = hit.origin_run_id if hit.source == "cache" else hit.source
            label = f" (from run {origin})" if origin else " (from the cache)"
        print(f"    {a.node_id:<20} #{a.attempt} {a.status:<9} {took:>9}{model}{label}")
        if a.error:
            print(f"      error [{a.error_class}]: {a.error}")
    for child in children:
        label = child_label(run.run_id, child.run_id)
        print(f"  child {label}: {child.status}  (interlock show {child.run_id})")
    for approval in approvals:
        decision = approval.decision
        line = f"  approval {approval.request.node_id}: {approval.status}"
        if decision is not None:
            line += f" by {decision.decider}"
            if decision.comment:
                line += f" ({decision.comment})"
            if decision.decision == "edit":
                line += f"; edited to {json.dumps(decision.edited_value, ensure_ascii=False)[:120]}"
        print(line)
    return EXIT_OK
