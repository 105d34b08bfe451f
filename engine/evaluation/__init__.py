"""Evaluating workflows on datasets: dataset files, the eval file, scorers, variants, the
runner that records each row as a normal run, summaries, comparison and reports."""

from __future__ import annotations

from engine.store.evaluation_records import (
    DatasetInfo,
    EvaluationRecord,
    Example,
    RowResult,
    ScoreResult,
    content_hash,
)

__all__ = [
    "DatasetInfo",
    "EvaluationRecord",
    "Example",
    "RowResult",
    "ScoreResult",
    "content_hash",
]
