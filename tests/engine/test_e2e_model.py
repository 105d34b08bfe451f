"""End to end: the bundled example on the real bundled model, through the CLI (a
subprocess), with a branch, a join and a map."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.model]

ROOT = Path(__file__).resolve().parents[2]
INTERLOCK = Path(sys.executable).parent / "interlock"
EXAMPLE = ROOT / "resources" / "examples" / "hello.interlock.yaml"


def interlock(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INTERLOCK), *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "INTERLOCK_DB": str(tmp_path / "runs.db"),
        "INTERLOCK_DATA_DIR": str(tmp_path / "data"),
    }


def test_example_runs_offline_on_the_bundled_model(env: dict[str, str]) -> None:
    review = "Terrible. It broke on day one and nobody answers my emails."
    done = interlock(
        "run",
        str(EXAMPLE),
        "--json",
        "--input",
        f"review={review}",
        "--input",
        'reviews=["Lovely colour.", "Too small for me."]',
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded"
    sentiment = summary["outputs"]["sentiment"]["sentiment"]
    assert sentiment in ("positive", "negative")  # schema-constrained by the model node
    nodes = summary["nodes"]
    # The branch took exactly one path; the join passed the taken one on.
    taken, skipped = ("apology", "thanks") if sentiment == "negative" else ("thanks", "apology")
    assert nodes[taken] == "succeeded" and nodes[skipped] == "skipped"
    assert isinstance(summary["outputs"]["reply_text"], str) and summary["outputs"]["reply_text"]
    summaries = summary["outputs"]["summaries"]
    assert len(summaries) == 2 and all(isinstance(s, str) and s for s in summaries)
    assert summary["tokens"] > 0 and summary["cost_usd"] == 0.0

    shown = interlock("show", summary["run_id"], "--json", env=env)
    attempts = json.loads(shown.stdout)["attempts"]
    classify = [a for a in attempts if a["node_id"] == "classify"]
    assert classify and classify[-1]["model"] == "smollm2-135m-instruct"
    assert classify[-1]["completion_tokens"] > 0
    # Every local model call reports its answer's confidence, in show and in the report.
    calls = json.loads(shown.stdout)["model_calls"]
    drafted = {"apology"} if taken == "apology" else set()  # thanks is a template
    assert {c["node_id"] for c in calls} == {"classify", "summarise", *drafted}
    assert all(0.0 < c["confidence"] < 1.0 for c in calls), calls
    report = interlock("report", summary["run_id"], "--format", "json", env=env)
    events = json.loads(report.stdout)["events"]
    reported = [e["data"]["confidence"] for e in events if e["type"] == "model_call"]
    assert sorted(reported) == sorted(c["confidence"] for c in calls)

    # A second run with the same inputs reuses the model results from the cache.
    again = interlock(
        "run",
        str(EXAMPLE),
        "--json",
        "--input",
        f"review={review}",
        "--input",
        'reviews=["Lovely colour.", "Too small for me."]',
        env=env,
    )
    assert json.loads(again.stdout)["nodes"]["classify"] == "cached"
