"""The in-memory backend of `EvaluationStore`, mixed into `MemoryRunStore`."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from engine.store import evaluations as rows
from engine.store.errors import StoreError
from engine.store.evaluation_records import DatasetInfo, EvaluationRecord, Example, RowResult
from engine.store.rows import Row


class MemoryEvaluations:
    """Datasets, evaluations and row results in dicts, rows shaped as SQLite stores them."""

    def __init__(self) -> None:
        self._eval_lock = threading.RLock()
        self._datasets: dict[tuple[str, str], Row] = {}
        self._examples: dict[str, list[Row]] = {}
        self._evaluations: dict[str, Row] = {}
        self._results: dict[str, dict[tuple[str, int, int], Row]] = {}

    def save_dataset(
        self, name: str, dataset_hash: str, examples: Sequence[Example], source: str | None
    ) -> DatasetInfo:
        with self._eval_lock:
            key = (name, dataset_hash)
            if key not in self._datasets:
                info = DatasetInfo(name, dataset_hash, len(examples), time.time(), source)
                self._datasets[key] = rows.dataset_row(info)
            self._examples.setdefault(dataset_hash, rows.example_rows(dataset_hash, examples))
            return rows.dataset_info(self._datasets[key])

    def list_datasets(self) -> list[DatasetInfo]:
        with self._eval_lock:
            found = sorted(self._datasets.values(), key=lambda r: (-r["created_at"], r["name"]))
            return [rows.dataset_info(row) for row in found]

    def find_dataset(self, ref: str) -> DatasetInfo | None:
        return rows.pick_dataset(self.list_datasets(), ref)

    def dataset_examples(self, dataset_hash: str) -> list[Example]:
        with self._eval_lock:
            return [rows.example(row) for row in self._examples.get(dataset_hash, [])]

    def create_evaluation(self, record: EvaluationRecord) -> None:
        with self._eval_lock:
            if record.eval_id in self._evaluations:
                raise StoreError(f"evaluation {record.eval_id!r} already exists")
            self._evaluations[record.eval_id] = rows.evaluation_row(record)

    def set_evaluation_status(self, eval_id: str, status: str, finished_at: float | None) -> None:
        with self._eval_lock:
            if eval_id in self._evaluations:
                self._evaluations[eval_id] |= {"status": status, "finished_at": finished_at}

    def get_evaluation(self, eval_id: str) -> EvaluationRecord | None:
        with self._eval_lock:
            row = self._evaluations.get(eval_id)
            return rows.evaluation_record(row) if row is not None else None

    def list_evaluations(self, limit: int = 50) -> list[EvaluationRecord]:
        with self._eval_lock:
            found = sorted(
                self._evaluations.values(), key=lambda r: (r["started_at"], r["eval_id"])
            )
            return [rows.evaluation_record(row) for row in reversed(found)][: max(limit, 0)]

    def put_row_result(self, result: RowResult) -> None:
        with self._eval_lock:
            if result.eval_id not in self._evaluations:
                raise StoreError(f"evaluation {result.eval_id!r} was never created")
            self._results.setdefault(result.eval_id, {})[result.key] = rows.result_row(result)

    def row_results(self, eval_id: str) -> list[RowResult]:
        with self._eval_lock:
            found = self._results.get(eval_id, {})
            return [rows.row_result(found[key]) for key in sorted(found)]
