"""The built-in scorers on passing and failing rows, and the eval file's validation with
located problems."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from engine.errors import WorkflowLoadError
from engine.evaluation.scorers import ChildVerdict, RowContext, score_row
from engine.evaluation.spec import ScorerSpec, eval_json_schema, load_eval, loads_eval
from engine.store.evaluation_records import Example

REPO = Path(__file__).resolve().parents[3]


def score(
    spec: dict[str, Any], output: Any, expected: Any = None, **run: Any
) -> tuple[float, bool, str]:
    scorer = ScorerSpec.model_validate(spec)
    ctx = RowContext(
        Example(0, {}),
        {},
        output,
        expected,
        "run-1",
        run.get("cost", 0.0),
        run.get("tokens", 0),
        run.get("latency", 0.0),
    )

    async def no_child(*_: Any) -> ChildVerdict:
        raise AssertionError("built-in scorers run no workflow")

    result = asyncio.run(score_row(scorer, ctx, no_child))
    return result.score, result.passed, result.reason


def test_exact_normalises_whitespace_json_text_and_case_on_request() -> None:
    assert score({"id": "s", "type": "exact"}, " HI  there ", "HI there")[:2] == (1.0, True)
    assert score({"id": "s", "type": "exact"}, "hi", "HI")[:2] == (0.0, False)
    assert score({"id": "s", "type": "exact", "ignore_case": True}, "hi", "HI")[1]
    assert score({"id": "s", "type": "exact"}, '{"a": 1}', {"a": 1.0})[1]


def test_json_fields_scores_the_share_of_matching_keys() -> None:
    spec = {"id": "s", "type": "json_fields", "keys": ["category", "urgency"]}
    got = '{"category": "bug", "urgency": "low", "product": "x"}'
    value, passed, reason = score(spec, got, {"category": "bug", "urgency": "high"})
    assert value == 0.5 and passed  # graded: passes at 0.5 by default
    assert "urgency" in reason and "category" not in reason
    strict = {**spec, "threshold": 1.0}
    assert not score(strict, got, {"category": "bug", "urgency": "high"})[1]
    assert score(spec, "not json", {"category": "bug"})[:2] == (0.0, False)


def test_contains_regex_numeric_schema() -> None:
    assert score({"id": "c", "type": "contains"}, "see [1] and [2]", ["[1]", "[2]"])[0] == 1.0
    assert score({"id": "c", "type": "contains"}, "see [1]", ["[1]", "[2]"])[0] == 0.5
    regex = {"id": "r", "type": "regex", "pattern": r"\[\d+\]"}
    assert score(regex, "cited [3]")[1] and not score(regex, "no citation")[1]
    numeric = {"id": "n", "type": "numeric", "tolerance": 0.5}
    assert score(numeric, "about 41.7 units", 42)[1]
    assert not score(numeric, "40", 42)[1]
    assert score({**numeric, "tolerance": 0.1, "relative": True}, 45, 42)[1]
    assert not score(numeric, "none", 42)[1]
    schema = {"id": "j", "type": "schema", "schema": {"type": "object", "required": ["a"]}}
    assert score(schema, '{"a": 1}')[1] and not score(schema, '{"b": 1}')[1]


def test_set_overlap_reports_precision_recall_f1() -> None:
    spec = {"id": "o", "type": "set_overlap"}
    value, passed, reason = score(spec, ["a", "b", "x"], ["a", "b", "c", "d"])
    assert value == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert passed and "missing ['c', 'd']" in reason and "extra ['x']" in reason
    assert score({**spec, "metric": "recall"}, "a, b", ["a", "b", "c", "d"])[0] == 0.5
    assert score(spec, [], [])[0] == 1.0


def test_cost_and_latency_thresholds() -> None:
    cost = {"id": "c", "type": "cost", "max_usd": 0.01, "max_tokens": 100}
    assert score(cost, None, cost=0.005, tokens=50)[1]
    _, passed, reason = score(cost, None, cost=0.02, tokens=150)
    assert not passed and "cost" in reason and "150 tokens" in reason
    latency = {"id": "l", "type": "latency", "max_s": 2}
    assert score(latency, None, latency=1.5)[1] and not score(latency, None, latency=2.5)[1]


def test_a_judge_or_validator_verdict_becomes_a_score() -> None:
    scorer = ScorerSpec.model_validate({"id": "j", "type": "judge", "prompt": "grade {{ output }}"})
    ctx = RowContext(Example(0, {}), {}, "x", "y", "run-1", 0.0, 0, 0.0)
    seen: list[tuple[str, dict[str, Any], str | None]] = []

    def child(score: Any, error: str | None = None) -> Any:
        async def run(kind: str, values: dict[str, Any], spec: Any, parent: str | None) -> Any:
            seen.append((kind, values, parent))
            return ChildVerdict(score, "fine", 0.002, "judge-run", error)

        return run

    result = asyncio.run(score_row(scorer, ctx, child(0.8)))
    assert (result.score, result.passed, result.cost_usd, result.run_id) == (
        0.8,
        True,
        0.002,
        "judge-run",
    )
    assert seen[0] == ("judge", {"input": {}, "output": "x", "expected": "y"}, "run-1")
    assert not asyncio.run(score_row(scorer, ctx, child("no idea"))).passed
    failed = asyncio.run(score_row(scorer, ctx, child(None, "model unavailable")))
    assert not failed.passed and "model unavailable" in failed.reason


def test_eval_file_problems_point_at_their_line(tmp_path: Path) -> None:
    text = (
        "version: 1\n"
        "name: x\n"
        "workflow: w.interlock.yaml\n"
        "dataset: d.jsonl\n"
        "scorers:\n"
        "  - {id: a, type: exact}\n"
        "  - {id: b, type: regex}\n"
        "  - {id: c, type: fuzzy}\n"
    )
    with pytest.raises(WorkflowLoadError) as caught:
        loads_eval(text)
    lines = sorted(p.line for p in caught.value.problems)
    messages = " ".join(p.message for p in caught.value.problems)
    assert lines == [7, 8]
    assert "needs `pattern`" in messages and "scorers.2.type" in messages


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  - {id: a, type: contains}\n", "duplicate scorer id 'a'"),
        ("min_score: {nope: 0.5}\n", "unknown scorers: nope"),
        ("colour: blue\n", "Extra inputs are not permitted"),
        ("  - {id: r, type: regex, pattern: '(unclosed'}\n", "not a valid regular expression"),
    ],
)
def test_eval_file_is_strict(extra: str, message: str) -> None:
    text = "name: x\nworkflow: w\ndataset: d\nscorers:\n  - {id: a, type: exact}\n"
    text += extra
    with pytest.raises(WorkflowLoadError) as caught:
        loads_eval(text)
    assert message in " ".join(p.message for p in caught.value.problems)


def test_missing_file_and_directory_are_clear(tmp_path: Path) -> None:
    for path in (tmp_path / "none.eval.yaml", tmp_path):
        with pytest.raises(WorkflowLoadError) as caught:
            load_eval(path)
        assert "not a regular file" in caught.value.problems[0].message


def test_committed_eval_schema_matches_the_model() -> None:
    import json

    committed = json.loads((REPO / "resources/schema/eval.schema.json").read_text("utf-8"))
    assert committed == json.loads(json.dumps(eval_json_schema(), sort_keys=True))
