"""Scorers: how one evaluated row is judged. The built-in ones are pure functions of the
output, the expected value and the run's spend; a judge is an llm call and a validator is
a workflow, both run through the engine as runs of their own (so their cost is apart)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engine.evaluation.spec import ScorerSpec
from engine.store.evaluation_records import Example, ScoreResult


@dataclass(frozen=True, slots=True)
class RowContext:
    """What a scorer sees of one evaluated row."""

    example: Example
    inputs: dict[str, Any]
    output: Any
    expected: Any
    run_id: str | None
    cost_usd: float
    tokens: int
    latency_s: float


ChildRunner = Callable[[str, dict[str, Any], ScorerSpec, str | None], Awaitable["ChildVerdict"]]
"""Runs a judge (`"judge"`) or validator workflow (`"workflow"`) on its inputs."""


@dataclass(frozen=True, slots=True)
class ChildVerdict:
    score: Any
    reason: str
    cost_usd: float
    run_id: str | None
    error: str | None = None


def as_data(value: Any) -> Any:
    """JSON text is read as data (a model's JSON answer arrives as text on `text` ports)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "[", '"') or stripped in ("true", "false", "null"):
            try:
                return json.loads(stripped)
            except (json.JSONDecodeError, RecursionError):
                return value
    return value


def _text(value: Any) -> str:
    value = as_data(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _norm(value: Any, ignore_case: bool) -> Any:
    value = as_data(value)
    if isinstance(value, str):
        value = " ".join(value.split())
        return value.casefold() if ignore_case else value
    if isinstance(value, dict):
        return {k: _norm(v, ignore_case) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v, ignore_case) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _verdict(spec: ScorerSpec, score: float, reason: str, **detail: Any) -> ScoreResult:
    score = min(1.0, max(0.0, score)) if math.isfinite(score) else 0.0
    return ScoreResult(score, score >= spec.pass_threshold, reason, detail)


def _exact(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    same = _norm(ctx.output, spec.ignore_case) == _norm(ctx.expected, spec.ignore_case)
    return _verdict(spec, 1.0 if same else 0.0, "" if same else f"got {_text(ctx.output)[:200]}")


def _one_object(value: Any) -> Any:
    """A list holding one JSON object (a map node's results over one item) is that object."""
    value = as_data(value)
    if isinstance(value, list) and len(value) == 1 and isinstance(as_data(value[0]), dict):
        return as_data(value[0])
    return value


def _json_fields(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    got, want = _one_object(ctx.output), _one_object(ctx.expected)
    if not isinstance(want, dict):
        return _verdict(spec, 0.0, "the expected value is not a JSON object")
    if not isinstance(got, dict):
        return _verdict(spec, 0.0, "the output is not a JSON object")
    keys = spec.keys or sorted(want)
    per_key = {
        k: _norm(got.get(k), spec.ignore_case) == _norm(want.get(k), spec.ignore_case) for k in keys
    }
    wrong = [k for k, ok in per_key.items() if not ok]
    reason = ", ".join(f"{k}: {got.get(k)!r} != {want.get(k)!r}" for k in wrong)
    return _verdict(spec, sum(per_key.values()) / max(len(keys), 1), reason, keys=per_key)


def _contains(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    text = _text(ctx.output)
    wanted = as_data(ctx.expected)
    needles = [str(n) for n in wanted] if isinstance(wanted, list) else [str(wanted)]
    if spec.ignore_case:
        text, needles = text.casefold(), [n.casefold() for n in needles]
    found = [n for n in needles if n in text]
    missing = [n for n in needles if n not in text]
    reason = f"missing {missing}" if missing else ""
    return _verdict(spec, len(found) / max(len(needles), 1), reason, missing=missing)


def _regex(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    assert spec.pattern is not None
    text = _text(ctx.output)[:100_000]
    flags = re.IGNORECASE if spec.ignore_case else 0
    hit = re.search(spec.pattern, text, flags) is not None
    return _verdict(spec, 1.0 if hit else 0.0, "" if hit else f"no match for {spec.pattern!r}")


def _number(value: Any) -> float | None:
    value = as_data(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = re.search(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", value.replace(",", ""))
        if match:
            return float(match.group())
    return None


def _numeric(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    got, want = _number(ctx.output), _number(ctx.expected)
    if got is None or want is None:
        return _verdict(spec, 0.0, f"not a number: {_text(ctx.output)[:80]!r}")
    allowed = spec.tolerance * abs(want) if spec.relative else spec.tolerance
    ok = abs(got - want) <= allowed + 1e-12
    return _verdict(spec, 1.0 if ok else 0.0, "" if ok else f"{got} is not {want} ± {allowed}")


def _schema(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    import jsonschema

    try:
        jsonschema.validate(as_data(ctx.output), spec.json_schema or {})
    except jsonschema.ValidationError as exc:
        return _verdict(spec, 0.0, f"schema: {exc.message[:200]}")
    except jsonschema.SchemaError as exc:
        return _verdict(spec, 0.0, f"the scorer's schema is invalid: {exc.message[:200]}")
    return _verdict(spec, 1.0, "")


def _items(value: Any) -> set[str] | None:
    value = as_data(value)
    if isinstance(value, list):
        return {_text(v) if not isinstance(v, str) else v.strip() for v in value}
    if isinstance(value, str):
        return {part.strip() for part in re.split(r"[,\n;]", value) if part.strip()}
    return None


def _set_overlap(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    got, want = _items(ctx.output), _items(ctx.expected)
    if got is None or want is None:
        return _verdict(spec, 0.0, "output or expected value is not a list")
    if spec.ignore_case:
        got, want = {g.casefold() for g in got}, {w.casefold() for w in want}
    hits = len(got & want)
    precision = hits / len(got) if got else (1.0 if not want else 0.0)
    recall = hits / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    score = {"f1": f1, "precision": precision, "recall": recall}[spec.metric]
    missing, extra = sorted(want - got), sorted(got - want)
    reason = "; ".join(
        part
        for part in (f"missing {missing}" if missing else "", f"extra {extra}" if extra else "")
        if part
    )
    return _verdict(spec, score, reason, precision=precision, recall=recall, f1=f1)


def _cost(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    over = []
    if spec.max_usd is not None and ctx.cost_usd > spec.max_usd:
        over.append(f"cost ${ctx.cost_usd:.6f} > ${spec.max_usd}")
    if spec.max_tokens is not None and ctx.tokens > spec.max_tokens:
        over.append(f"{ctx.tokens} tokens > {spec.max_tokens}")
    return _verdict(spec, 0.0 if over else 1.0, "; ".join(over))


def _latency(spec: ScorerSpec, ctx: RowContext) -> ScoreResult:
    assert spec.max_s is not None
    ok = ctx.latency_s <= spec.max_s
    return _verdict(
        spec, 1.0 if ok else 0.0, "" if ok else f"{ctx.latency_s:.2f} s > {spec.max_s} s"
    )


BUILT_IN: dict[str, Callable[[ScorerSpec, RowContext], ScoreResult]] = {
    "exact": _exact,
    "json_fields": _json_fields,
    "contains": _contains,
    "regex": _regex,
    "numeric": _numeric,
    "schema": _schema,
    "set_overlap": _set_overlap,
    "cost": _cost,
    "latency": _latency,
}


async def score_row(spec: ScorerSpec, ctx: RowContext, run_child: ChildRunner) -> ScoreResult:
    """One scorer's verdict on one row; a scorer that cannot decide scores 0 with a reason."""
    if spec.type in BUILT_IN:
        return BUILT_IN[spec.type](spec, ctx)
    inputs = {"input": ctx.inputs, "output": ctx.output, "expected": ctx.expected}
    verdict = await run_child(spec.type, inputs, spec, ctx.run_id)
    if verdict.error is not None:
        failed = _verdict(spec, 0.0, f"{spec.type} failed: {verdict.error}")
        return ScoreResult(failed.score, False, failed.reason, {}, verdict.cost_usd, verdict.run_id)
    score = _number(verdict.score)
    if score is None:
        result = _verdict(spec, 0.0, f"{spec.type} gave no score ({verdict.score!r})")
    else:
        result = _verdict(spec, score, verdict.reason)
    return ScoreResult(
        result.score, result.passed, result.reason, result.detail, verdict.cost_usd, verdict.run_id
    )
