"""What an evaluation stores: datasets and their examples, evaluations, and per-row results.

Plain frozen values shared by the store backends, the evaluation runner, the CLI and the app.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

BARE_EXPECTED = ""
"""Key of a bare `expected` column: the expected value of the workflow's single output (or
of whatever output a scorer names)."""


@dataclass(frozen=True, slots=True)
class Example:
    """One dataset row: input values by the workflow's input names, expected values by
    output name (`BARE_EXPECTED` for a bare `expected` column) and free metadata."""

    index: int
    inputs: dict[str, Any]
    expected: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    """Line (JSONL) or row (CSV, counting the header as line 1) it came from; 0 if none."""

    def expected_for(self, output: str | None) -> Any:
        """The expected value for `output`, falling back to the bare `expected` column."""
        if output is not None and output in self.expected:
            return self.expected[output]
        return self.expected.get(BARE_EXPECTED)

    def content(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "expected": self.expected, "metadata": self.metadata}


def content_hash(examples: list[Example] | tuple[Example, ...]) -> str:
    """Content address of a dataset: canonical JSON of its rows in order."""
    text = json.dumps([e.content() for e in examples], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A named version of a dataset in the store (rows are read separately)."""

    name: str
    hash: str
    row_count: int
    created_at: float
    source: str | None = None
    """The file it was imported from, or `run:RUN_ID` rows added from runs."""


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    """One evaluation: an eval spec run over one dataset version, per variant."""

    eval_id: str
    name: str
    workflow_hash: str
    dataset_hash: str
    dataset_name: str
    status: str
    """running, succeeded (every row done; the gate is separate), failed, interrupted."""
    started_at: float
    spec: dict[str, Any]
    """The eval file's content as plain data (after defaults), as run."""
    eval_path: str | None = None
    finished_at: float | None = None
    parent_eval_id: str | None = None
    """For a re-run of failing rows: the evaluation whose failures it re-ran."""
    rows: tuple[int, ...] | None = None
    """The row indexes it covers, when not all of the dataset (--limit, re-runs)."""


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """One scorer's verdict on one row."""

    score: float
    """0..1."""
    passed: bool
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    cost_usd: float = 0.0
    """What scoring itself cost (a judge's or validator workflow's model calls)."""
    run_id: str | None = None
    """The judge's or validator's own run, when scoring ran a workflow."""

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "passed": self.passed,
            "reason": self.reason,
            "detail": self.detail,
            "cost_usd": self.cost_usd,
            "run_id": self.run_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScoreResult:
        return cls(
            float(data.get("score", 0.0)),
            bool(data.get("passed", False)),
            str(data.get("reason", "")),
            dict(data.get("detail") or {}),
            float(data.get("cost_usd", 0.0)),
            data.get("run_id"),
        )


@dataclass(frozen=True, slots=True)
class RowResult:
    """One (variant, row, repeat) of an evaluation: its run and its scores."""

    eval_id: str
    variant: str
    row_index: int
    repeat: int
    run_id: str | None
    run_status: str
    """The run's status; `invalid` when the row's inputs were refused (no run)."""
    outputs: dict[str, Any]
    scores: dict[str, ScoreResult]
    passed: bool
    cost_usd: float = 0.0
    tokens: int = 0
    model_calls: int = 0
    remote_calls: int = 0
    latency_s: float = 0.0
    scoring_cost_usd: float = 0.0
    error: str | None = None
    finished_at: float = 0.0

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.variant, self.row_index, self.repeat)
