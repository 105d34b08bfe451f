"""The change plan example: a ticket read with file_read, project docs searched, a plan
drafted by the local model, reviewed by an agent restricted to read-only tools, release
notes written, and the plan document saved to plans/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.conftest import EXAMPLES, Cli, copy_example, sections, summary_of

FILE = "change_plan.interlock.yaml"
READ_ONLY = {"file_read", "knowledge_search"}


def test_example_validates(cli: Cli) -> None:
    done = cli("validate", str(EXAMPLES / "change_plan" / FILE))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.model
def test_change_plan_is_drafted_reviewed_and_saved(cli: Cli, tmp_path: Path) -> None:
    folder = copy_example("change_plan", tmp_path)
    done = cli("run", FILE, "--json", "-q", cwd=folder)
    summary = summary_of(done)
    assert done.returncode == 0, done.stderr
    assert summary["status"] == "succeeded", summary["error"]
    assert all(state == "succeeded" for state in summary["nodes"].values())
    assert summary["cost_usd"] == 0.0

    document = (folder / "plans" / "change-plan.md").read_text()
    assert document.startswith("# Change plan: CHG-42")
    assert sections(document) == ["Plan", "Review", "Release notes", "Sources"]
    assert "Ticket: tickets/CHG-42.md" in document
    sources = document.split("## Sources", 1)[1]
    assert sources.count("- code/") >= 1 and "(lines " in sources
    assert summary["outputs"]["release_notes"] in document

    # The agent used only its read-only tools, within its caps, and finished.
    steps = summary["outputs"]["review_steps"]
    calls = [s for s in steps if "tool" in s]
    assert 1 <= len(calls) <= 2
    assert {s["tool"] for s in calls} <= READ_ONLY
    shown = summary_of(cli("show", summary["run_id"], "--json"))
    review = [a for a in shown["attempts"] if a["node_id"] == "review"]
    assert review[-1]["status"] == "succeeded"
    assert review[-1]["outputs"]["tool_calls"] == len(calls)
