"""Runs evaluations for the Evaluate dock on the qasync loop (one at a time; inference is
already in worker threads) and reads and writes datasets and evaluations in the run store,
off the GUI thread where a read or a file can be slow."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from PySide6.QtCore import QObject, Signal

from desktop.async_loop import spawn
from desktop.run.ops import OpChanges, op_hub
from engine.errors import InterlockError
from engine.evaluation.records import (
    DatasetInfo,
    EvaluationRecord,
    Example,
    RowResult,
    content_hash,
)
from engine.evaluation.spec import LoadedEval
from engine.evaluation.summary import EvalSummary, expected_rows, summarize
from engine.nodes.base import NodeRegistry
from engine.providers.base import ProviderRegistry
from engine.store.evaluations import EvalStore
from engine.store.protocol import RunRecord, RunStore

log = logging.getLogger(__name__)


class EvalHost(Protocol):
    """What evaluations need from the window's engine session."""

    registry: NodeRegistry

    @property
    def store(self) -> RunStore: ...

    @property
    def providers(self) -> ProviderRegistry: ...

    async def warm_up(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LoadedEvaluation:
    """One stored evaluation as the panel shows it."""

    record: EvaluationRecord
    results: list[RowResult]
    summary: EvalSummary


def summary_of(
    record: EvaluationRecord, results: list[RowResult], dataset_rows: int
) -> EvalSummary:
    return summarize(record, results, expected_rows(record, dataset_rows))


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
    message = Signal(str)

    def __init__(self, host: EvalHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.task: asyncio.Task[Any] | None = None
        self._active = False
        self.eval_id: str | None = None
        """The evaluation running (or last run), known from its first stored row."""

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
        if self.running:
            return None
        self._active = True
        self.task = spawn(self._run(loaded, limit, rows, None))
        self.task.add_done_callback(self._on_task_done)
        self.running_changed.emit(True)
        return self.task

    def resume(self, eval_id: str) -> asyncio.Task[Any] | None:
        """Finish an interrupted evaluation: stored rows are kept, the rest run."""
        if self.running:
            return None
        self._active = True
        self.task = spawn(self._run(None, None, None, eval_id))
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
        self,
        loaded: LoadedEval | None,
        limit: int | None,
        rows: Sequence[int] | None,
        resume_id: str | None,
    ) -> None:
        outcome: EvaluationRecord | BaseException
        self.eval_id = resume_id
        try:
            store = await self.store()
            evaluator = await asyncio.to_thread(self._evaluator, store)
            if resume_id is not None:
                found = await asyncio.to_thread(store.get_evaluation, resume_id)
                if found is None:
                    raise InterlockError(f"no evaluation {resume_id!r} in the store")
                self.message.emit(f"Resuming evaluation {found.name}…")
                self.started.emit(found.name)
                self.record_known.emit(found)
                record = await evaluator.resume(resume_id, on_row=self._on_row)
            else:
                assert loaded is not None
                self.message.emit(f"Preparing evaluation {loaded.spec.name}…")
                prepared = await asyncio.to_thread(evaluator.prepare, loaded)
                self.message.emit(f"Evaluating {loaded.spec.name}…")
                self.started.emit(loaded.spec.name)
                record = await evaluator.run(prepared, limit=limit, rows=rows, on_row=self._on_row)
            outcome = record
            self.message.emit(f"Evaluation {record.name} {record.status}")
        except asyncio.CancelledError:
            self.message.emit("Evaluation stopped: resume it to run the remaining rows")
            outcome = asyncio.CancelledError()
        except InterlockError as exc:
            self.message.emit(f"Evaluation not started: {_first_line(exc)}")
            outcome = exc
        except Exception as exc:
            log.exception("evaluation crashed")
            self.message.emit(f"Evaluation crashed: {exc}")
            outcome = exc
        finally:
            self._active = False
            self.running_changed.emit(False)
            op_hub().changed.emit(OpChanges(runs=True, datasets=True, evaluations=True))
        self.finished.emit(outcome)

    def _evaluator(self, store: EvalStore) -> Any:
        from engine.evaluation import report as _report  # noqa: F401  (imported off the GUI thread)
        from engine.evaluation.runner import Evaluator

        return Evaluator(self.host.registry, self.host.providers, store)

    def _on_row(self, result: RowResult, done: int, total: int) -> None:
        if self.eval_id != result.eval_id:
            self.eval_id = result.eval_id
            spawn(self._announce(result.eval_id))
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

        def read() -> LoadedEvaluation:
            record = store.get_evaluation(eval_id)
            if record is None:
                raise InterlockError(f"no evaluation {eval_id!r} in the store")
            results = store.row_results(eval_id)
            info = store.find_dataset(record.dataset_hash)
            summary = summary_of(record, results, info.row_count if info else 0)
            return LoadedEvaluation(record, results, summary)

        return await asyncio.to_thread(read)

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
