"""The evaluation part of the run store: the `EvaluationStore` protocol, and the rows of
datasets, evaluations and row results as plain dicts, shared by every backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from engine.store.evaluation_records import (
    DatasetInfo,
    EvaluationRecord,
    Example,
    RowResult,
    ScoreResult,
)
from engine.store.protocol import RunStore
from engine.store.rows import Row, RowLike, dump_json, load_json

MIN_HASH_PREFIX = 8
"""A dataset may be named by this many leading characters of its hash, or more."""


@runtime_checkable
class EvaluationStore(Protocol):
    """Datasets, evaluations and their results, next to the runs they ran."""

    def save_dataset(
        self, name: str, dataset_hash: str, examples: Sequence[Example], source: str | None
    ) -> DatasetInfo:
        """Store a dataset version under `name` (the same content again is a no-op and
        returns the version already stored)."""
        ...

    def list_datasets(self) -> list[DatasetInfo]:
        """Every stored version, newest first."""
        ...

    def find_dataset(self, ref: str) -> DatasetInfo | None:
        """A dataset by name (its newest version), by `NAME@HASHPREFIX`, or by hash or a
        hash prefix of at least `MIN_HASH_PREFIX` characters."""
        ...

    def dataset_examples(self, dataset_hash: str) -> list[Example]: ...

    def create_evaluation(self, record: EvaluationRecord) -> None: ...

    def set_evaluation_status(
        self, eval_id: str, status: str, finished_at: float | None
    ) -> None: ...

    def get_evaluation(self, eval_id: str) -> EvaluationRecord | None: ...

    def list_evaluations(self, limit: int = 50) -> list[EvaluationRecord]:
        """Newest first."""
        ...

    def put_row_result(self, result: RowResult) -> None:
        """Record one scored (variant, row, repeat), replacing an earlier one."""
        ...

    def row_results(self, eval_id: str) -> list[RowResult]:
        """Ordered by variant, row, repeat."""
        ...


@runtime_checkable
class EvalStore(RunStore, EvaluationStore, Protocol):
    """A store holding runs and evaluations in one place (both backends are)."""


def dataset_row(info: DatasetInfo) -> Row:
    return {
        "name": info.name,
        "hash": info.hash,
        "row_count": info.row_count,
        "created_at": info.created_at,
        "source": info.source,
    }


def dataset_info(row: RowLike) -> DatasetInfo:
    return DatasetInfo(row["name"], row["hash"], row["row_count"], row["created_at"], row["source"])


def example_rows(dataset_hash: str, examples: Sequence[Example]) -> list[Row]:
    return [
        {
            "dataset_hash": dataset_hash,
            "idx": e.index,
            "line": e.line,
            "content_json": dump_json(e.content()),
        }
        for e in examples
    ]


def example(row: RowLike) -> Example:
    content = load_json(row["content_json"])
    return Example(
        row["idx"],
        content.get("inputs", {}),
        content.get("expected", {}),
        content.get("metadata", {}),
        row["line"],
    )


def evaluation_row(record: EvaluationRecord) -> Row:
    return {
        "eval_id": record.eval_id,
        "name": record.name,
        "workflow_hash": record.workflow_hash,
        "dataset_hash": record.dataset_hash,
        "dataset_name": record.dataset_name,
        "status": record.status,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "spec_json": dump_json(record.spec),
        "eval_path": record.eval_path,
        "parent_eval_id": record.parent_eval_id,
        "rows_json": dump_json(list(record.rows)) if record.rows is not None else None,
    }


def evaluation_record(row: RowLike) -> EvaluationRecord:
    rows = load_json(row["rows_json"]) if row["rows_json"] else None
    return EvaluationRecord(
        eval_id=row["eval_id"],
        name=row["name"],
        workflow_hash=row["workflow_hash"],
        dataset_hash=row["dataset_hash"],
        dataset_name=row["dataset_name"],
        status=row["status"],
        started_at=row["started_at"],
        spec=load_json(row["spec_json"]),
        eval_path=row["eval_path"],
        finished_at=row["finished_at"],
        parent_eval_id=row["parent_eval_id"],
        rows=tuple(rows) if rows is not None else None,
    )


def result_row(result: RowResult) -> Row:
    return {
        "eval_id": result.eval_id,
        "variant": result.variant,
        "row_index": result.row_index,
        "repeat": result.repeat,
        "run_id": result.run_id,
        "run_status": result.run_status,
        "outputs_json": dump_json(result.outputs),
        "scores_json": dump_json({k: s.to_json() for k, s in result.scores.items()}),
        "passed": bool(result.passed),
        "cost_usd": result.cost_usd,
        "tokens": result.tokens,
        "model_calls": result.model_calls,
        "remote_calls": result.remote_calls,
        "latency_s": result.latency_s,
        "scoring_cost_usd": result.scoring_cost_usd,
        "error": result.error,
        "finished_at": result.finished_at,
    }


def row_result(row: RowLike) -> RowResult:
    scores: dict[str, Any] = load_json(row["scores_json"])
    return RowResult(
        eval_id=row["eval_id"],
        variant=row["variant"],
        row_index=row["row_index"],
        repeat=row["repeat"],
        run_id=row["run_id"],
        run_status=row["run_status"],
        outputs=load_json(row["outputs_json"]),
        scores={k: ScoreResult.from_json(v) for k, v in scores.items()},
        passed=bool(row["passed"]),
        cost_usd=row["cost_usd"],
        tokens=row["tokens"],
        model_calls=row["model_calls"],
        remote_calls=row["remote_calls"],
        latency_s=row["latency_s"],
        scoring_cost_usd=row["scoring_cost_usd"],
        error=row["error"],
        finished_at=row["finished_at"],
    )


def matches(info: DatasetInfo, ref: str) -> bool:
    """Whether `ref` (a name, NAME@HASHPREFIX, a hash or a long enough prefix) names `info`."""
    name, at, prefix = ref.partition("@")
    if at:
        return info.name == name and len(prefix) >= 4 and info.hash.startswith(prefix)
    if info.name == ref:
        return True
    return len(ref) >= MIN_HASH_PREFIX and info.hash.startswith(ref)


def pick_dataset(newest_first: Sequence[DatasetInfo], ref: str) -> DatasetInfo | None:
    """The version `ref` names among stored versions: a name wins over a hash prefix."""
    for info in newest_first:
        if info.name == ref:
            return info
    for info in newest_first:
        if matches(info, ref):
            return info
    return None
