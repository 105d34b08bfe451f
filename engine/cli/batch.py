"""`interlock run --inputs-file` with a JSON list: a batch, one recorded run per row, each
through the run executor (here, or on the cluster's workers) and recorded in this
process's store; what the command prints and returns for the whole batch."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import jsontext
from engine.cli.context import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_WAITING
from engine.errors import RunInterrupted
from engine.runtime.engine import Engine, RunResult
from engine.runtime.run_executor import RunExecutor
from engine.trace.events import Subscriber
from engine.workflow.model import Workflow


@dataclass(frozen=True)
class RowNotRun:
    """A row no run was recorded for: the cluster it went to was lost first."""

    reason: str


async def run_rows(
    engine: Engine,
    runs: RunExecutor,
    workflow: Workflow,
    rows: list[dict[str, Any]],
    path: Path,
    subscribers: Sequence[Subscriber],
    at_once: int,
) -> list[RunResult | RowNotRun]:
    """One run per row, at most `at_once` at a time; results in the rows' order."""
    prepared = engine.prepare(workflow)
    gate = asyncio.Semaphore(at_once)

    async def one(inputs: dict[str, Any]) -> RunResult | RowNotRun:
        async with gate:
            try:
                return await runs.run(
                    engine,
                    prepared,
                    inputs,
                    base_dir=path.parent,
                    workflow_path=str(path),
                    subscribers=subscribers,
                )
            except RunInterrupted as exc:  # the other rows go on (or end the same way)
                return RowNotRun(str(exc))

    return list(await asyncio.gather(*(one(row) for row in rows)))


def report_batch(
    args: argparse.Namespace,
    results: list[RunResult | RowNotRun],
    summary: Callable[[RunResult], dict[str, Any]],
) -> int:
    """Print every row's result (`--json`: a list of run summaries, in the rows' order; a
    row not run is `{"status": "not_run", "error": ...}`); exit 130 when a row was
    interrupted or not run (its cluster was lost), else 1 when a row failed, else 3 when
    one waits for an approval."""
    if args.json:
        rows = [
            summary(r) if isinstance(r, RunResult) else {"status": "not_run", "error": r.reason}
            for r in results
        ]
        print(jsontext.dumps(rows, ensure_ascii=False, indent=2, default=repr))
    else:
        for index, result in enumerate(results):
            if isinstance(result, RowNotRun):
                print(f"row {index}: not run: {result.reason}")
                continue
            print(f"row {index}: run {result.run_id} {result.status}")
            for name, value in result.outputs.items():
                shown = value if isinstance(value, str) else jsontext.dumps(value)
                print(f"  {name}: {shown}")
    ran = [r for r in results if isinstance(r, RunResult)]
    statuses = {result.status for result in ran}
    waiting = [r.run_id for r in ran if r.status == "waiting_approval"]
    if waiting:
        print(f"{len(waiting)} runs wait for approval: see `interlock approvals`", file=sys.stderr)
    stopped = len(results) - len(ran) + sum(1 for r in ran if r.status == "interrupted")
    if stopped:
        print(
            f"{stopped} of {len(results)} rows did not finish (the cluster was lost): "
            "`interlock resume` an interrupted run; run rows not run again "
            "(--no-cluster runs them here)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if statuses - {"succeeded", "waiting_approval"}:
        return EXIT_FAILED
    return EXIT_WAITING if waiting else EXIT_OK
