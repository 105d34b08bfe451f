"""Real evaluations on the bundled model: a labelled classification with a judge on the
local model and a variant on route policy, and an evaluation killed with SIGKILL that
resumes without re-running finished rows."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.cli.commands import default_providers
from engine.evaluation.runner import Evaluator
from engine.evaluation.spec import load_eval
from engine.evaluation.summary import summarize
from engine.nodes import default_registry
from engine.providers.base import ProviderRegistry
from engine.routing.events import ModelCall
from engine.store import SqliteRunStore

pytestmark = [pytest.mark.slow, pytest.mark.model]

ROOT = Path(__file__).resolve().parents[3]
INTERLOCK = Path(sys.executable).parent / "interlock"

SENTIMENT = """\
version: 1
metadata: {name: Sentiment}
inputs: [{name: review, type: string, required: true}]
nodes:
  - {id: review, kind: input}
  - id: classify
    kind: llm
    config:
      system: You label product reviews as positive or negative.
      prompt: 'Review: {{ in }}'
      max_tokens: 24
      output_schema:
        type: object
        properties: {sentiment: {type: string, enum: [positive, negative]}}
        required: [sentiment]
  - {id: label, kind: output}
edges:
  - {source: review.value, target: classify.in}
  - {source: classify.json, target: label.value}
"""

REVIEWS = [
    ("I love it, works perfectly and looks great.", "positive"),
    ("Broke after one day, total waste of money.", "negative"),
    ("Fantastic sound, fast delivery, very happy.", "positive"),
    ("Terrible support, they never answered my emails.", "negative"),
    ("Excellent quality, I would buy it again.", "positive"),
    ("The worst purchase I have ever made.", "negative"),
]

EVAL = """\
name: Sentiment labels
workflow: sentiment.interlock.yaml
dataset: reviews.jsonl
concurrency: 2
scorers:
  - {id: label, type: json_fields, keys: [sentiment], threshold: 1}
  - id: judge
    type: judge
    judge_max_tokens: 48
    prompt: >-
      Expected label: {{ expected.sentiment }}. Given label: {{ output.sentiment }}.
      Give score 1 if they are the same word, else 0.
variants:
  - {name: auto}
  - name: pinned
    nodes:
      classify: {route: {model: smollm2-135m-instruct, tier: routine}}
"""


def write_eval(folder: Path) -> Path:
    (folder / "sentiment.interlock.yaml").write_text(SENTIMENT, encoding="utf-8")
    rows = "".join(
        json.dumps({"review": text, "expected": {"sentiment": label}}) + "\n"
        for text, label in REVIEWS
    )
    (folder / "reviews.jsonl").write_text(rows, encoding="utf-8")
    path = folder / "sentiment.eval.yaml"
    path.write_text(EVAL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def providers() -> Iterator[ProviderRegistry]:
    registry = default_providers()
    yield registry
    local, _ = registry.resolve("smollm2-135m-instruct")
    local.close()  # type: ignore[attr-defined]


def test_real_evaluation_with_a_local_judge_and_a_route_variant(
    tmp_path: Path, providers: ProviderRegistry
) -> None:
    path = write_eval(tmp_path)
    with SqliteRunStore(tmp_path / "runs.db") as store:
        evaluator = Evaluator(default_registry(), providers, store)
        record = asyncio.run(evaluator.run(evaluator.prepare(load_eval(path))))
        results = store.row_results(record.eval_id)
        assert record.status == "succeeded"
        assert len(results) == 2 * len(REVIEWS)
        for result in results:
            assert result.run_status == "succeeded", result.error
            assert result.model_calls >= 1 and result.remote_calls == 0
            label = result.outputs["label"]["sentiment"]
            expected = REVIEWS[result.row_index][1]
            assert result.scores["label"].passed == (label == expected)
            judge = result.scores["judge"]
            assert 0.0 <= judge.score <= 1.0 and judge.run_id is not None
            judge_run = store.get_run(judge.run_id)
            assert judge_run is not None and judge_run.parent_run_id == result.run_id
            assert judge_run.workflow_name == "judge: judge"
            judge_calls = [e for e in store.events(judge.run_id) if isinstance(e, ModelCall)]
            assert judge_calls and all(not c.remote for c in judge_calls)
        pinned = [r for r in results if r.variant == "pinned"]
        for result in pinned:
            calls = [e for e in store.events(result.run_id or "") if isinstance(e, ModelCall)]
            assert {c.model for c in calls} == {"smollm2-135m-instruct"}
        summary = summarize(record, results, 2 * len(REVIEWS))
        assert set(summary.variants) == {"auto", "pinned"}
        # The model labels these plain reviews mostly right: well above chance.
        assert summary.variants["auto"].scorers["label"].mean >= 0.5


def _stored_rows(db: Path) -> int:
    try:
        connection = sqlite3.connect(db, timeout=5)
        try:
            return int(connection.execute("SELECT count(*) FROM eval_results").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return 0


def test_sigkill_mid_evaluation_then_resume_reruns_no_finished_row(tmp_path: Path) -> None:
    path = write_eval(tmp_path)
    db = tmp_path / "runs.db"
    env = {**os.environ, "INTERLOCK_DB": str(db), "INTERLOCK_DATA_DIR": str(tmp_path / "data")}
    command = [str(INTERLOCK), "eval", str(path), "--variant", "auto", "--concurrency", "1"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 300
        while _stored_rows(db) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.poll() is None, "the evaluation finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    with SqliteRunStore(db) as store:
        (record,) = store.list_evaluations()
        assert record.status == "running"  # killed: nobody marked it
        before = {r.key: r.run_id for r in store.row_results(record.eval_id)}
        assert 2 <= len(before) < len(REVIEWS)
    done = subprocess.run(
        [str(INTERLOCK), "eval", "resume", record.eval_id, "--json", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_done"] == len(REVIEWS)
    with SqliteRunStore(db) as store:
        results = store.row_results(record.eval_id)
        assert store.get_evaluation(record.eval_id).status == "succeeded"  # type: ignore[union-attr]
        runs = [r for r in store.list_runs(limit=200) if r.parent_run_id is None]
    assert len(results) == len(REVIEWS)
    assert {r.key: r.run_id for r in results if r.key in before} == before
    # Every finished row has exactly one run of its inputs: none was run again.
    for result in results:
        if result.key in before:
            review = REVIEWS[result.row_index][0]
            same_inputs = [r for r in runs if r.inputs == {"review": review}]
            assert [r.run_id for r in same_inputs] == [before[result.key]]
