"""Summaries of an evaluation per variant (score means with 95% intervals, pass rate, cost,
tokens, remote-call share, latency percentiles), the CI gate, and row-by-row comparison of
two evaluations."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from engine.store.evaluation_records import EvaluationRecord, RowResult

_T95 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    12: 2.179,
    15: 2.131,
    20: 2.086,
    25: 2.060,
    30: 2.042,
}


def _t95(df: int) -> float:
    """Two-sided 95% Student t quantile (1.96 from 60 degrees of freedom on)."""
    if df >= 60:
        return 1.96
    if df >= 30:
        return 2.0
    return _T95[max(k for k in _T95 if k <= df)]


def interval95(values: list[float]) -> tuple[float, float]:
    """A 95% interval for the mean: Wilson's for pass/fail scores, Student's t otherwise;
    clamped to 0..1."""
    n = len(values)
    if n == 0:
        return (0.0, 0.0)
    mean = sum(values) / n
    if all(v in (0.0, 1.0) for v in values):
        z = 1.96
        centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return (max(0.0, centre - half), min(1.0, centre + half))
    if n == 1:
        return (mean, mean)
    half = _t95(n - 1) * statistics.stdev(values) / math.sqrt(n)
    return (max(0.0, mean - half), min(1.0, mean + half))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class ScorerSummary:
    scorer: str
    n: int
    mean: float
    low: float
    high: float
    pass_rate: float


@dataclass(frozen=True, slots=True)
class VariantSummary:
    variant: str
    rows: int
    passed: int
    scorers: dict[str, ScorerSummary]
    cost_usd: float
    tokens: int
    model_calls: int
    remote_calls: int
    latency_p50_s: float
    latency_p95_s: float
    scoring_cost_usd: float
    failed_runs: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.rows if self.rows else 0.0

    @property
    def remote_share(self) -> float:
        return self.remote_calls / self.model_calls if self.model_calls else 0.0

    @property
    def cost_per_row(self) -> float:
        return self.cost_usd / self.rows if self.rows else 0.0

    @property
    def score(self) -> float:
        """The mean of the scorers' means: one number to plot against cost."""
        means = [s.mean for s in self.scorers.values()]
        return sum(means) / len(means) if means else 0.0


@dataclass(frozen=True, slots=True)
class EvalSummary:
    record: EvaluationRecord
    variants: dict[str, VariantSummary]
    gate_failures: list[str] = field(default_factory=list)
    """Why the eval file's min_score / min_pass_rate was not met; empty when it was."""
    expected_rows: int = 0
    """(variant, row, repeat) triples the evaluation covers; fewer stored means unfinished."""

    @property
    def gate_ok(self) -> bool:
        return not self.gate_failures

    @property
    def done_rows(self) -> int:
        return sum(v.rows for v in self.variants.values())


def summarize(
    record: EvaluationRecord, results: list[RowResult], expected_rows: int = 0
) -> EvalSummary:
    scorer_ids = [s["id"] for s in record.spec.get("scorers", [])]
    by_variant: dict[str, list[RowResult]] = {}
    for result in results:
        by_variant.setdefault(result.variant, []).append(result)
    variants: dict[str, VariantSummary] = {}
    for name in record.spec.get("run_variants") or sorted(by_variant):
        rows = by_variant.get(name, [])
        scorers = {}
        for scorer in scorer_ids:
            values = [r.scores[scorer].score for r in rows if scorer in r.scores]
            passes = [r.scores[scorer].passed for r in rows if scorer in r.scores]
            low, high = interval95(values)
            scorers[scorer] = ScorerSummary(
                scorer,
                len(values),
                sum(values) / len(values) if values else 0.0,
                low,
                high,
                sum(passes) / len(passes) if passes else 0.0,
            )
        latencies = [r.latency_s for r in rows if r.run_id is not None]
        variants[name] = VariantSummary(
            variant=name,
            rows=len(rows),
            passed=sum(r.passed for r in rows),
            scorers=scorers,
            cost_usd=sum(r.cost_usd for r in rows),
            tokens=sum(r.tokens for r in rows),
            model_calls=sum(r.model_calls for r in rows),
            remote_calls=sum(r.remote_calls for r in rows),
            latency_p50_s=percentile(latencies, 0.5),
            latency_p95_s=percentile(latencies, 0.95),
            scoring_cost_usd=sum(r.scoring_cost_usd for r in rows),
            failed_runs=sum(r.run_status != "succeeded" for r in rows),
        )
    return EvalSummary(record, variants, _gate(record.spec, variants), expected_rows)


def _gate(spec: dict[str, Any], variants: dict[str, VariantSummary]) -> list[str]:
    failures = []
    min_score = spec.get("min_score")
    min_pass = spec.get("min_pass_rate")
    for name, summary in variants.items():
        if isinstance(min_score, int | float):
            wanted = {s: float(min_score) for s in summary.scorers}
        elif isinstance(min_score, dict):
            wanted = {s: float(v) for s, v in min_score.items()}
        else:
            wanted = {}
        for scorer, floor in wanted.items():
            got = summary.scorers[scorer].mean if scorer in summary.scorers else 0.0
            if got < floor:
                failures.append(f"{name}: {scorer} mean {got:.3f} < min_score {floor}")
        if min_pass is not None and summary.pass_rate < float(min_pass):
            failures.append(f"{name}: pass rate {summary.pass_rate:.3f} < min_pass_rate {min_pass}")
    return failures


@dataclass(frozen=True, slots=True)
class RowChange:
    """A row whose outcome differs between two evaluations."""

    variant: str
    row_index: int
    repeat: int
    before: RowResult
    after: RowResult

    @property
    def change(self) -> str:
        return "fixed" if self.after.passed else "broke"


def compare(a: list[RowResult], b: list[RowResult]) -> list[RowChange]:
    """Rows whose pass/fail differs from A to B, among the rows both ran (a re-run of the
    failing rows covers only those). Rows match on (variant, row, repeat); when each side
    ran a single variant under different names, on (row, repeat)."""
    a_variants = {r.variant for r in a}
    b_variants = {r.variant for r in b}
    single = len(a_variants) == 1 and len(b_variants) == 1 and a_variants != b_variants

    def key(r: RowResult) -> tuple[str, int, int]:
        return ("", r.row_index, r.repeat) if single else r.key

    before = {key(r): r for r in a}
    after = {key(r): r for r in b}
    changes = []
    for k in sorted(set(before) & set(after)):
        old, new = before[k], after[k]
        if old.passed != new.passed:
            changes.append(RowChange(new.variant, k[1], k[2], old, new))
    return changes


def summary_json(summary: EvalSummary) -> dict[str, Any]:
    record = summary.record
    return {
        "eval_id": record.eval_id,
        "name": record.name,
        "status": record.status,
        "dataset": {"name": record.dataset_name, "hash": record.dataset_hash},
        "workflow_hash": record.workflow_hash,
        "parent_eval_id": record.parent_eval_id,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "rows_done": summary.done_rows,
        "rows_expected": summary.expected_rows,
        "gate": {"ok": summary.gate_ok, "failures": summary.gate_failures},
        "variants": {
            name: {
                "rows": v.rows,
                "passed": v.passed,
                "pass_rate": v.pass_rate,
                "score": v.score,
                "scorers": {
                    s.scorer: {
                        "n": s.n,
                        "mean": s.mean,
                        "ci95": [s.low, s.high],
                        "pass_rate": s.pass_rate,
                    }
                    for s in v.scorers.values()
                },
                "cost_usd": v.cost_usd,
                "cost_per_row_usd": v.cost_per_row,
                "tokens": v.tokens,
                "model_calls": v.model_calls,
                "remote_calls": v.remote_calls,
                "remote_share": v.remote_share,
                "latency_p50_s": v.latency_p50_s,
                "latency_p95_s": v.latency_p95_s,
                "scoring_cost_usd": v.scoring_cost_usd,
                "failed_runs": v.failed_runs,
            }
            for name, v in summary.variants.items()
        },
    }


def row_json(result: RowResult) -> dict[str, Any]:
    """One row for reports and `--json`, secret-shaped values scrubbed like trace reports."""
    from engine.reports.redaction import scrub_fields

    data = {
        "variant": result.variant,
        "row": result.row_index,
        "repeat": result.repeat,
        "run_id": result.run_id,
        "run_status": result.run_status,
        "passed": result.passed,
        "outputs": result.outputs,
        "scores": {k: s.to_json() for k, s in result.scores.items()},
        "cost_usd": result.cost_usd,
        "tokens": result.tokens,
        "model_calls": result.model_calls,
        "remote_calls": result.remote_calls,
        "latency_s": result.latency_s,
        "scoring_cost_usd": result.scoring_cost_usd,
        "error": result.error,
    }
    scrubbed = scrub_fields(data)
    return scrubbed


def expected_rows(record: EvaluationRecord, dataset_rows: int) -> int:
    """How many (variant, row, repeat) results a finished evaluation holds."""
    rows = len(record.rows) if record.rows is not None else dataset_rows
    variants = len(record.spec.get("run_variants") or [None])
    return rows * variants * int(record.spec.get("repeats", 1))
