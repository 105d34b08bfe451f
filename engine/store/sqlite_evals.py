"""The SQLite backend of `EvaluationStore`: datasets, evaluations and row results in the
run store's own file, written in the store's `BEGIN IMMEDIATE` transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.store import evaluations as rows
from engine.store.evaluation_records import DatasetInfo, EvaluationRecord, Example, RowResult
from engine.store.tables import DATASET_EXAMPLES, DATASETS, EVAL_RESULTS, EVALUATIONS

_DIALECT = sqlite_dialect(paramstyle="named")


def _compiled(statement: Any, keys: Sequence[str]) -> str:
    return str(statement.compile(dialect=_DIALECT, column_keys=list(keys)))


class SqliteEvaluations:
    """Mixed into `SqliteRunStore`, which provides `_writing` and `_reading`."""

    if TYPE_CHECKING:

        def _writing(self, action: str) -> AbstractContextManager[sqlite3.Connection]: ...
        def _reading(self, action: str) -> AbstractContextManager[Connection]: ...

    def save_dataset(
        self, name: str, dataset_hash: str, examples: Sequence[Example], source: str | None
    ) -> DatasetInfo:
        info = DatasetInfo(name, dataset_hash, len(examples), time.time(), source)
        head = rows.dataset_row(info)
        examples_rows = rows.example_rows(dataset_hash, examples)
        put_head = sqlite_insert(DATASETS).on_conflict_do_nothing(index_elements=["name", "hash"])
        put_rows = sqlite_insert(DATASET_EXAMPLES).on_conflict_do_nothing(
            index_elements=["dataset_hash", "idx"]
        )
        with self._writing("save dataset") as db:
            db.execute(_compiled(put_head, list(head)), head)
            if examples_rows:
                db.executemany(_compiled(put_rows, list(examples_rows[0])), examples_rows)
        found = self.find_dataset(f"{name}@{dataset_hash}")
        assert found is not None
        return found

    def list_datasets(self) -> list[DatasetInfo]:
        query = select(DATASETS).order_by(DATASETS.c.created_at.desc(), DATASETS.c.name)
        with self._reading("list datasets") as connection:
            found = connection.execute(query).mappings().all()
        return [rows.dataset_info(row) for row in found]

    def find_dataset(self, ref: str) -> DatasetInfo | None:
        return rows.pick_dataset(self.list_datasets(), ref)

    def dataset_examples(self, dataset_hash: str) -> list[Example]:
        query = (
            select(DATASET_EXAMPLES)
            .where(DATASET_EXAMPLES.c.dataset_hash == dataset_hash)
            .order_by(DATASET_EXAMPLES.c.idx)
        )
        with self._reading("read dataset") as connection:
            found = connection.execute(query).mappings().all()
        return [rows.example(row) for row in found]

    def create_evaluation(self, record: EvaluationRecord) -> None:
        row = rows.evaluation_row(record)
        with self._writing("create evaluation") as db:
            db.execute(_compiled(insert(EVALUATIONS), list(row)), row)

    def set_evaluation_status(self, eval_id: str, status: str, finished_at: float | None) -> None:
        statement = (
            update(EVALUATIONS)
            .where(EVALUATIONS.c.eval_id == eval_id)
            .values(status=status, finished_at=finished_at)
        )
        compiled = statement.compile(dialect=_DIALECT)
        with self._writing("update evaluation") as db:
            db.execute(str(compiled), compiled.params)

    def get_evaluation(self, eval_id: str) -> EvaluationRecord | None:
        query = select(EVALUATIONS).where(EVALUATIONS.c.eval_id == eval_id)
        with self._reading("get evaluation") as connection:
            row = connection.execute(query).mappings().first()
        return rows.evaluation_record(row) if row is not None else None

    def list_evaluations(self, limit: int = 50) -> list[EvaluationRecord]:
        query = (
            select(EVALUATIONS)
            .order_by(EVALUATIONS.c.started_at.desc(), EVALUATIONS.c.eval_id.desc())
            .limit(max(limit, 0))
        )
        with self._reading("list evaluations") as connection:
            found = connection.execute(query).mappings().all()
        return [rows.evaluation_record(row) for row in found]

    def put_row_result(self, result: RowResult) -> None:
        row = rows.result_row(result)
        statement = sqlite_insert(EVAL_RESULTS)
        keys = ["eval_id", "variant", "row_index", "repeat"]
        upsert = statement.on_conflict_do_update(
            index_elements=keys,
            set_={k: statement.excluded[k] for k in row if k not in keys},
        )
        with self._writing("record evaluation row") as db:
            db.execute(_compiled(upsert, list(row)), row)

    def row_results(self, eval_id: str) -> list[RowResult]:
        query = (
            select(EVAL_RESULTS)
            .where(EVAL_RESULTS.c.eval_id == eval_id)
            .order_by(EVAL_RESULTS.c.variant, EVAL_RESULTS.c.row_index, EVAL_RESULTS.c.repeat)
        )
        with self._reading("read evaluation rows") as connection:
            found = connection.execute(query).mappings().all()
        return [rows.row_result(row) for row in found]
