"""The support inbox example: a parent workflow runs triage_review.interlock.yaml as a
`subworkflow` node (a child run of its own) and composes a ticket note from the child's
sentiment and drafted reply, offline on the bundled model."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.resources import examples
from engine.store.sqlite import SqliteRunStore
from tests.examples.conftest import EXAMPLES, Cli, copy_example, summary_of

FOLDER = EXAMPLES / "support_inbox"
FILE = "support_inbox.interlock.yaml"
CHILD = "triage_review.interlock.yaml"


def test_example_validates_and_is_listed_without_its_child(cli: Cli) -> None:
    for name in (FILE, CHILD):
        done = cli("validate", str(FOLDER / name))
        assert done.returncode == 0, done.stdout + done.stderr
    listed = examples()
    assert FOLDER / FILE in listed  # File ▸ New from Example offers the parent...
    assert FOLDER / CHILD not in listed  # ...never the child it runs
    assert (FOLDER / "README.md").is_file()


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize(
    "message",
    [
        "The battery died after two days and support never answered my emails.",
        "Love the new camera, setup took a minute.",
    ],
)
def test_support_inbox_runs_its_triage_as_a_child_run(
    cli: Cli, tmp_path: Path, message: str
) -> None:
    folder = copy_example("support_inbox", tmp_path)
    done = cli("run", FILE, "--input", f"message={message}", "--json", "-q", cwd=folder)
    summary = summary_of(done)
    assert done.returncode == 0, done.stderr
    assert summary["status"] == "succeeded"
    assert set(summary["nodes"].values()) == {"succeeded"}

    outputs = summary["outputs"]
    assert sorted(outputs) == ["reply_text", "ticket"]
    reply = outputs["reply_text"]
    assert isinstance(reply, str) and reply.strip()
    note = outputs["ticket"]
    label = note.removeprefix("Sentiment: ").split(".", 1)[0]
    assert note.startswith("Sentiment: ") and label in ("positive", "negative")  # schema enum
    assert note.endswith(f"Suggested reply: {reply}")
    if label == "positive":  # the child's branch took the fixed thank-you template
        assert reply == "Thank you for your kind review!"
    assert summary["completion_tokens"] > 0  # the child's model calls count for the parent

    store = SqliteRunStore(tmp_path / "runs.db")
    try:
        (child,) = store.child_runs(summary["run_id"])
        assert child.parent_run_id == summary["run_id"]
        assert child.status == "succeeded"
        assert child.workflow_name == "Review triage"
        assert child.inputs == {"review": message}
        assert child.outputs["reply_text"] == reply
        assert child.outputs["sentiment"] == {"sentiment": label}
        assert store.child_runs(child.run_id) == []
    finally:
        store.close()
