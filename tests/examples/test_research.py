"""The research example: knowledge_search, a read-only sql_query and two GETs to the
example's own API on 127.0.0.1 run in parallel; the local model writes the synthesis and
the Markdown report, with its sources, is saved to reports/."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.conftest import EXAMPLES, Cli, copy_example, sections, summary_of

FILE = "research.interlock.yaml"
PORT = 8765  # the port the example's http_request scope allows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def example(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A copy of the example with serve.py running on a free port (the copy's scope is
    rewritten to that port); yields the folder and the API base URL."""
    folder = copy_example("research", tmp_path)
    port = free_port()
    workflow = folder / FILE
    workflow.write_text(workflow.read_text().replace(f":{PORT}", f":{port}"))
    server = subprocess.Popen(
        [sys.executable, str(folder / "serve.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert "serving" in server.stdout.readline()
        yield folder, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def test_example_validates_and_ships_its_data(cli: Cli) -> None:
    folder = EXAMPLES / "research"
    done = cli("validate", str(folder / FILE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (folder / "data" / "sales.sqlite").is_file()
    assert len(list((folder / "knowledge").glob("*.md"))) >= 3


@pytest.mark.slow
@pytest.mark.model
def test_research_gathers_three_sources_and_saves_a_cited_report(
    cli: Cli, example: tuple[Path, str]
) -> None:
    folder, api = example
    done = cli("run", FILE, "--input", f"api={api}", "--json", "-q", cwd=folder)
    summary = summary_of(done)
    assert done.returncode == 0, done.stderr
    assert summary["status"] == "succeeded", summary["error"]
    assert all(state == "succeeded" for state in summary["nodes"].values())
    assert summary["cost_usd"] == 0.0 and summary["completion_tokens"] > 0

    report = (folder / "reports" / "research-report.md").read_text()
    assert report == summary["outputs"]["markdown"]
    assert summary["outputs"]["saved"]["path"] == "reports/research-report.md"
    assert sections(report) == [
        "Synthesis",
        "Sales, January to June 2024",
        "Ratings and support load",
        "Notes",
        "Sources",
    ]
    assert summary["outputs"]["answer"] and summary["outputs"]["answer"] in report
    # The SQL rows: one table row per product, from the read-only query.
    for product in ("Beacon router", "Lookout camera", "Ember thermostat", "Chime doorbell"):
        assert f"| {product} |" in report
    # The API answered (its JSON is quoted) and every source is cited.
    assert '"source": "review-service"' in report and '"source": "helpdesk"' in report
    cited = report.split("## Sources", 1)[1]
    assert "knowledge/" in cited and "(lines " in cited
    assert "data/sales.sqlite" in cited
    assert f"{api}/api/ratings (HTTP 200)" in cited and f"{api}/api/support (HTTP 200)" in cited
    notes = report.split("## Notes", 1)[1].split("## Sources", 1)[0]
    markers = re.findall(r"\[(\d+)\]$", notes, re.MULTILINE)
    numbered = re.findall(r"^(\d+)\. knowledge/\S+ \(lines \d+-\d+\)$", cited, re.MULTILINE)
    assert markers and markers == numbered  # every note points at its numbered source
