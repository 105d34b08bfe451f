"""Runs evaluations for the Evaluate dock on the qasync loop, one at a time (new, resumed,
re-runs of failing rows, and the rung evaluations of a routing calibration; inference is
already in worker threads), and reads and writes datasets, evaluations and reports in the
run store off the GUI thread where a read or a file can be slow."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from PySide6.QtCore import QObject, Signal

from desktop.async_loop import spawn
from desktop.run.ops import OpChanges, op_hub
from engine.errors import InterlockError
from engine.evaluation.spec import LoadedEval
from engine.evaluation.summary import EvalSummary, RowChange, compare, expected_rows, summarize
from engine.nodes.base import NodeRegistry
from engine.providers.base import ProviderRegistry
from engine.store.evaluation_records import (
    DatasetInfo,
    EvaluationRecord,
    Example,
    RowResult,
    content_hash,
)
from engine.store.evaluations import EvalStore
from engine.store.protocol import RunRecord, RunStore

if TYPE_CHECKING:
    from engine.evaluation.runner import Evaluator, PreparedEval

log = logging.getLogger(__name__)


T = TypeVar("T")


class EvalHost(Protocol):
    """What evaluations need from the window's engine session."""

    registry: NodeRegistry

    @property
    def store(self) -> RunStore: ...

    @property
    def providers(self) -> ProviderRegistry: ...

    async def warm_up(self) -> None: ...

    async def on_engine(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run `make()` on the engine thread, where store writes may wait."""
        ...


@dataclass(frozen=True, slots=True)
class LoadedEvaluation:
    """One stored evaluation as the panel shows it."""

    record: EvaluationRecord
    results: list[RowResult]
    summary: EvalSummary
    parent: EvaluationRecord | None = None
    """For a re-run of failing rows: the evaluation whose failures it re-ran."""
    changes: list[RowChange] | None = None
    """For a re-run: its rows whose outcome differs from the parent's (fixed or broke)."""

    @property
    def failing(self) -> int:
        return sum(not r.passed for r in self.results)


@dataclass(frozen=True, slots=True)
class ExportedReport:
    """What "Export report…" wrote: the page, and the trace reports of the failing rows'
    runs in a folder beside it (linked from the page)."""

    path: Path
    run_reports: int
    folder: Path


def summary_of(
    record: EvaluationRecord, results: list[RowResult], dataset_rows: int
) -> EvalSummary:
    return summarize(record, results, expected_rows(record, dataset_rows))


def read_evaluation(store: EvalStore, eval_id: str) -> LoadedEvaluation:
    """An evaluation, its rows and summary, and for a re-run what changed from its parent
    (blocking: call it in a worker thread)."""
    record = store.get_evaluation(eval_id)
    if record is None:
        raise InterlockError(f"no evaluation {eval_id!r} in the store")
    results = store.row_results(eval_id)
    info = store.find_dataset(record.dataset_hash)
    summary = summary_of(record, results, info.row_count if info else 0)
    parent = changes = None
    if record.parent_eval_id is not None:
        parent = store.get_evaluation(record.parent_eval_id)
        if parent is not None:
            changes = compare(store.row_results(parent.eval_id), results)
    return LoadedEvaluation(record, results, summary, parent, changes)


class EvalController(QObject):
    running_changed = Signal(bool)
    started = Signal(str)
    """An evaluation (its name) began running rows; `row_done` follows for each."""
    row_done = Signal(object, int, int)
    """(RowResult, rows done, rows in all), as each scored row is stored."""
    record_known = Signal(object)
    """The running evaluation's EvaluationRecord, read once its first row is stored."""
    finished = Signal(object)
    """The EvaluationRecord, or the exception that stopped or refused the evaluation."""
    calibrated = Signal(object)
    """A `Calibration`, just before `finished` of the evaluation that measured its rungs."""
    message = Signal(str)
    _first_row = Signal(str)
    """An evaluation's first stored row (its id), from the engine thread to the window's."""

    def __init__(self, host: EvalHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.task: asyncio.Task[Any] | None = None
        self._active = False
        self.eval_id: str | None = None
        """The evaluation running (or last run), known from its first stored row."""
        self._first_row.connect(lambda eval_id: spawn(self._announce(eval_id)))

    @property
    def running(self) -> bool:
        """An evaluation is under way (False already while its task winds down)."""
        return self._active

    async def store(self) -> EvalStore:
        """The run store (it holds evaluations too), once the session's warm-up opened it."""
        await self.host.warm_up()
        return cast(EvalStore, await asyncio.to_thread(lambda: self.host.store))

    # -- running ---------------------------------------------------------------------------

    def start(
        self, loaded: LoadedEval, *, limit: int | None = None, rows: Sequence[int] | None = None
    ) -> asyncio.Task[Any] | None:
        """Evaluate `loaded` (all rows, the first `limit`, or the row indexes `rows`); None
        while another evaluation runs."""

        async def job(evaluator: Evaluator) -> EvaluationRecord:
            self.message.emit(f"Preparing evaluation {loaded.spec.name}…")
            prepared = await asyncio.to_thread(evaluator.prepare, loaded)
            self.message.emit(f"Evaluating {loaded.spec.name}…")
            self.started.emit(loaded.spec.name)
            return await evaluator.run(prepared, limit=limit, rows=rows, on_row=self._on_row)

        return self._spawn(job)

    def resume(self, eval_id: str) -> asyncio.Task[Any] | None:
        """Finish an interrupted evaluation: stored rows are kept, the rest run."""

        async def job(evaluator: Evaluator) -> EvaluationRecord:
            self.eval_id = eval_id
            found = await asyncio.to_thread(evaluator.store.get_evaluation, eval_id)
            if found is None:
                raise InterlockError(f"no evaluation {eval_id!r} in the store")
            self.message.emit(f"Resuming evaluation {found.name}…")
            self.started.emit(found.name)
            self.record_known.emit(found)
            return await evaluator.resume(eval_id, on_row=self._on_row)

        return self._spawn(job)

    def rerun_failing(self, eval_id: str) -> asyncio.Task[Any] | None:
        """A new evaluation, linked to `eval_id`, of only the rows that failed in it: on the
        eval file and workflow as they are now, the same dataset version and variants."""

        async def job(evaluator: Evaluator) -> EvaluationRecord:
            store = evaluator.store

            def read() -> tuple[EvaluationRecord, list[int], PreparedEval]:
                earlier = store.get_evaluation(eval_id)
                if earlier is None:
                    raise InterlockError(f"no evaluation {eval_id!r} in the store")
                failing = sorted({r.row_index for r in store.row_results(eval_id) if not r.passed})
                if not failing:
                    raise InterlockError(f"evaluation {earlier.name} has no failing rows")
                return earlier, failing, evaluator.prepare_rerun(earlier)

            self.message.emit("Preparing the re-run of the failing rows…")
            earlier, failing, prepared = await asyncio.to_thread(read)
            self.message.emit(f"Re-running {len(failing)} failing rows of {earlier.name}…")
            self.started.emit(f"{earlier.name} (failing rows again)")
            return await evaluator.run(
                prepared, rows=failing, on_row=self._on_row, parent_eval_id=eval_id
            )

        return self._spawn(job)

    def calibrate(
        self,
        loaded: LoadedEval,
        node_id: str,
        target: float,
        *,
        ladder: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> asyncio.Task[Any] | None:
        """Calibrate `node_id`'s escalation ladder on `loaded`'s dataset: each rung runs
        alone (an evaluation with a variant per rung, its rows coming through `row_done`),
        then `calibrated` carries the `Calibration`. Nothing is written to the workflow."""

        async def job(evaluator: Evaluator) -> EvaluationRecord:
            from engine.evaluation.calibrate import calibrate

            self.message.emit(f"Preparing the calibration of {node_id}…")
            # reads and stores the dataset and checks the files off the GUI thread; the
            # preparing `calibrate` repeats then finds the dataset stored already
            await asyncio.to_thread(evaluator.prepare, loaded)
            self.message.emit(f"Calibrating {node_id}: each rung of its ladder alone…")
            self.started.emit(f"calibration of {node_id}")
            result = await calibrate(
                evaluator, loaded, node_id, target, ladder=ladder, limit=limit, on_row=self._on_row
            )
            self.calibrated.emit(result)
            record = await asyncio.to_thread(evaluator.store.get_evaluation, result.eval_id)
            assert record is not None
            return record

        return self._spawn(job, f"Calibration of {node_id}")

    def _spawn(
        self,
        job: Callable[[Evaluator], Coroutine[Any, Any, EvaluationRecord]],
        what: str | None = None,
    ) -> asyncio.Task[Any] | None:
        """Run `job` as the one evaluation under way (None while another runs); `what` names
        it in messages (default: the evaluation and its name)."""
        if self.running:
            return None
        self._active = True
        self.task = spawn(self._run(job, what))
        self.task.add_done_callback(self._on_task_done)
        self.running_changed.emit(True)
        return self.task

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        """A task stopped before it began never runs its `finally`: end it here."""
        if self._active and task is self.task:
            self._active = False
            self.message.emit("Evaluation stopped before it began")
            self.running_changed.emit(False)
            self.finished.emit(asyncio.CancelledError())

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run(
        self, job: Callable[[Evaluator], Coroutine[Any, Any, EvaluationRecord]], named: str | None
    ) -> None:
        outcome: EvaluationRecord | BaseException
        what = named or "Evaluation"
        self.eval_id = None
        try:
            evaluator = await self.evaluator()
            # On the engine thread, as runs are: its rows' store writes never wait on the
            # window's thread (signals from there reach the window in order).
            record = await self.host.on_engine(lambda: job(evaluator))
            outcome = record
            self.message.emit(f"{named or f'Evaluation {record.name}'} {record.status}")
        except asyncio.CancelledError:
            resumable = ": resume it to run the remaining rows" if named is None else ""
            self.message.emit(f"{what} stopped{resumable}")
            outcome = asyncio.CancelledError()
        except InterlockError as exc:
            self.message.emit(f"{what} not started: {_first_line(exc)}")
            outcome = exc
        except Exception as exc:
            log.exception("evaluation crashed")
            self.message.emit(f"{what} crashed: {exc}")
            outcome = exc
        finally:
            self._active = False
            self.running_changed.emit(False)
            op_hub().changed.emit(OpChanges(runs=True, datasets=True, evaluations=True))
        self.finished.emit(outcome)

    def _evaluator(self, store: EvalStore) -> Evaluator:
        from engine.evaluation import report as _report  # noqa: F401  (imported off the GUI thread)
        from engine.evaluation.runner import Evaluator

        return Evaluator(self.host.registry, self.host.providers, store)

    async def evaluator(self) -> Evaluator:
        """An evaluator on the session's store and providers (opened off the GUI thread)."""
        store = await self.store()
        return await asyncio.to_thread(self._evaluator, store)

    def _on_row(self, result: RowResult, done: int, total: int) -> None:
        """Called on the engine thread: what it emits reaches the window in order."""
        if self.eval_id != result.eval_id:
            self.eval_id = result.eval_id
            self._first_row.emit(result.eval_id)
        self.row_done.emit(result, done, total)

    async def _announce(self, eval_id: str) -> None:
        store = await self.store()
        record = await asyncio.to_thread(store.get_evaluation, eval_id)
        if record is not None:
            self.record_known.emit(record)

    # -- store reads and writes (awaited by EngineOps) -----------------------------------

    async def datasets(self) -> list[DatasetInfo]:
        store = await self.store()
        return await asyncio.to_thread(store.list_datasets)

    async def evaluations(self, limit: int = 50) -> list[EvaluationRecord]:
        store = await self.store()
        return await asyncio.to_thread(store.list_evaluations, limit)

    async def load(self, eval_id: str) -> LoadedEvaluation:
        store = await self.store()
        return await asyncio.to_thread(read_evaluation, store, eval_id)

    async def export_report(self, eval_id: str, out: Path) -> ExportedReport:
        """Write the evaluation's self-contained HTML report to `out`, and the trace report
        of each failing row's run into OUT_runs/ beside it."""
        store = await self.store()

        def write() -> ExportedReport:
            from engine.evaluation.report import render_eval_html, write_run_reports
            from engine.reports import render

            loaded = read_evaluation(store, eval_id)
            links = write_run_reports(store, loaded.results, out, render)
            page = render_eval_html(loaded.summary, loaded.results, links)
            out.write_text(page, encoding="utf-8")
            return ExportedReport(out, len(links), out.with_name(f"{out.stem}_runs"))

        return await asyncio.to_thread(write)

    async def save_dataset(
        self, name: str, examples: list[Example], source: str | None
    ) -> DatasetInfo:
        """Store `examples` (renumbered from 0) as a version of dataset `name`."""
        rows = [
            Example(i, e.inputs, e.expected, e.metadata, e.line) for i, e in enumerate(examples)
        ]
        store = await self.store()
        return await asyncio.to_thread(store.save_dataset, name, content_hash(rows), rows, source)

    async def run_record(self, run_id: str) -> RunRecord:
        store = await self.store()
        record = await asyncio.to_thread(store.get_run, run_id)
        if record is None:
            raise InterlockError(f"no run {run_id!r} in the store")
        return record

    async def add_run(self, run_id: str, name: str, expected: Any) -> DatasetInfo:
        """Append a run's inputs, with `expected` as its expected values, to dataset `name`."""
        from engine.cli.dataset_commands import add_run_to_dataset

        store = await self.store()
        info: DatasetInfo = await asyncio.to_thread(
            add_run_to_dataset, store, run_id, name, expected
        )
        return info


def _first_line(exc: BaseException) -> str:
    problems = getattr(exc, "problems", None)
    if problems:
        first = problems[0]
        return str(getattr(first, "message", first))
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
