"""The triage example: 200 tickets labelled by a map over the bundled model with
schema-checked output, counted and costed, then sent to outbox/ only after approval
(the run pauses with `--approve defer`; `interlock approve` continues it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.examples.conftest import EXAMPLES, Cli, copy_example, sections, summary_of

FILE = "triage.interlock.yaml"
CATEGORIES = ["billing", "bug", "account", "shipping", "feature_request", "other"]
URGENCIES = ["high", "normal", "low"]
PRODUCTS = ["router", "camera", "thermostat", "doorbell", "mobile_app", "unknown"]
QUEUES = {
    "billing": "finance",
    "bug": "engineering",
    "account": "identity",
    "shipping": "logistics",
    "feature_request": "product",
    "other": "support-leads",
}
TABLES = [
    ("By category (team queue)", "category", CATEGORIES),
    ("By urgency", "urgency", URGENCIES),
    ("By product", "product", PRODUCTS),
]


def table(markdown: str, heading: str) -> dict[str, int]:
    """`| key | count |` rows of the table under `## heading`."""
    part = markdown.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\w+) \| (\d+) \|$", part, re.MULTILINE)
    return {key: int(count) for key, count in rows}


def test_example_validates_and_ships_200_tickets(cli: Cli) -> None:
    done = cli("validate", str(EXAMPLES / "triage" / FILE))
    assert done.returncode == 0, done.stdout + done.stderr
    tickets = json.loads((EXAMPLES / "triage" / "tickets.json").read_text())["tickets"]
    assert len(tickets) >= 200
    assert len({t["id"] for t in tickets}) == len(tickets)
    assert all(t["subject"] and t["body"] for t in tickets)


@pytest.mark.slow
@pytest.mark.model
def test_triage_labels_counts_and_sends_after_approval(cli: Cli, tmp_path: Path) -> None:
    folder = copy_example("triage", tmp_path)
    tickets = json.loads((folder / "tickets.json").read_text())["tickets"]
    outbox = folder / "outbox" / "routed-tickets.jsonl"

    run = ["run", FILE, "--inputs-file", "tickets.json", "--json", "-q", "--approve", "defer"]
    done = cli(*run, cwd=folder)
    paused = summary_of(done)
    assert done.returncode == 3, done.stderr
    assert paused["status"] == "waiting_approval"
    assert paused["nodes"]["classify"] == "succeeded" and paused["nodes"]["approve"] == "waiting"
    assert not outbox.exists()  # nothing is sent before a person approves

    labels = paused["outputs"]["labels"]
    assert len(labels) == len(tickets)
    for label in labels:  # schema-checked by the llm node: enums only
        assert label["category"] in CATEGORIES
        assert label["urgency"] in URGENCIES
        assert label["product"] in PRODUCTS

    summary = paused["outputs"]["summary"]
    assert sections(summary) == [heading for heading, _, _ in TABLES] + ["Cost"]
    assert f"Tickets: {len(tickets)}" in summary
    for heading, field, keys in TABLES:
        counts = table(summary, heading)
        assert sorted(counts) == sorted(keys)
        assert sum(counts.values()) == len(tickets)
        assert counts == {k: sum(1 for label in labels if label[field] == k) for k in keys}
    assert f"Model calls: {len(tickets)}" in summary
    assert re.search(r"remote model at \$[\d.]+ per 1M tokens: \$\d+\.\d{4}", summary)
    assert paused["cost_usd"] == 0.0 and paused["completion_tokens"] > 0

    pending = json.loads(cli("approvals", "--json", cwd=folder).stdout)
    assert [(p["request"]["run_id"], p["request"]["node_id"]) for p in pending] == [
        (paused["run_id"], "approve")
    ]
    assert f"Send {len(tickets)} labelled tickets" in pending[0]["request"]["summary"]

    decide = ["approve", paused["run_id"], "approve", "-m", "queues checked", "--json", "-q"]
    approved = cli(*decide, cwd=tmp_path)
    finished = summary_of(approved)
    assert approved.returncode == 0, approved.stderr
    assert finished["status"] == "succeeded"
    assert finished["outputs"]["sent"]["path"] == "outbox/routed-tickets.jsonl"

    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [s["id"] for s in sent] == [t["id"] for t in tickets]
    assert [s["labels"] for s in sent] == labels
    assert all(s["queue"] == QUEUES[s["labels"]["category"]] for s in sent)
    priority = sum(1 for s in sent if s["priority"])
    assert f"Priority (urgent, stuck or unclear): {priority}" in summary
    # A ticket that says it is urgent is a priority whatever the model's label.
    urgent = {t["id"] for t in tickets if "urgent" in (t["subject"] + " " + t["body"]).lower()}
    assert urgent and all(s["priority"] for s in sent if s["id"] in urgent)
