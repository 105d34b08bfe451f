"""`interlock report` and `interlock diff` in-process: formats to files and stdout, clear
errors for unknown runs and a missing PDF renderer, and node-by-node run comparison."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import engine.reports as reports
from engine.cli.main import main
from engine.reports import ReportError, build_report, diff_runs, render
from engine.runtime.engine import Engine
from tests.engine.reports import runs
from tests.engine.reports.conftest import Runs
from tests.support.kinds import make_registry


def test_report_writes_each_text_format(
    sample: Runs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(sample.store.path)
    for fmt in ("html", "md", "json", "otlp"):
        out = tmp_path / f"r.{fmt}"
        assert main(["report", sample.rich, "-f", fmt, "-o", str(out), "--db", db]) == 0
        assert sample.rich in out.read_text()
        if fmt in ("md", "otlp"):  # html and json also carry the time they were made
            assert out.read_text() == render(sample.rich, sample.store, fmt)
    assert main(["report", sample.failed, "-f", "md", "--db", db]) == 0
    assert capsys.readouterr().out.startswith("## Run report: always fails — failed")


def test_report_errors_are_clear(
    sample: Runs, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(sample.store.path)
    assert main(["report", "nope", "--db", db]) == 2
    assert "no run 'nope' in the store" in capsys.readouterr().err
    assert main(["report", sample.rich, "-f", "pdf", "--db", db]) == 2
    assert "--format pdf needs -o FILE" in capsys.readouterr().err
    monkeypatch.setattr(reports, "entry_points", lambda group: [])
    with pytest.raises(ReportError, match="install the Interlock desktop package for PDF"):
        render(sample.rich, sample.store, "pdf")


def test_broken_pdf_renderer_is_reported_not_raised(
    sample: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        name, value = "pdf", "desktop.reports_pdf:render_pdf"

        def load(self) -> Any:
            raise ImportError("libEGL.so.1: cannot open shared object file")

    monkeypatch.setattr(reports, "entry_points", lambda group: [Broken()])
    with pytest.raises(ReportError, match="needs the Interlock desktop package with Qt"):
        render(sample.rich, sample.store, "pdf")


def test_diff_of_two_runs_node_by_node(
    sample: Runs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = Engine(make_registry(), store=sample.store)
    wf = runs.chain_workflow()
    a = asyncio.run(engine.run(wf, {"x": "one"})).run_id
    b = asyncio.run(engine.run(wf, {"x": "two"})).run_id
    result = diff_runs(build_report(sample.store, a), build_report(sample.store, b))
    changed = {n.node_id: n.changed for n in result.nodes}
    assert changed["x"] == ["output"] and changed["s4"] == ["output"]
    assert any('+    "in": "two"' in line for line in result.nodes[1].output_diff)
    same = diff_runs(build_report(sample.store, a), build_report(sample.store, a))
    assert same.changed == []
    against_failed = diff_runs(
        build_report(sample.store, a), build_report(sample.store, sample.failed)
    )
    only = {n.node_id: n.changed for n in against_failed.nodes}
    assert only["s0"] == ["only in A"] and only["boom"] == ["only in B"]
    db = str(sample.store.path)
    assert main(["diff", a, b, "--db", db]) == 0
    text = capsys.readouterr().out
    assert "* s0: succeeded  ->  succeeded" in text and "7 of 7 nodes differ" in text
    assert main(["diff", a, b, "-f", "json", "--db", db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [n["node_id"] for n in data["nodes"]] == ["x", "s0", "s1", "s2", "s3", "s4", "o"]
    html_out = tmp_path / "diff.html"
    assert main(["diff", a, sample.failed, "-f", "html", "-o", str(html_out), "--db", db]) == 0
    assert "only in B" in html_out.read_text() and "<script" not in html_out.read_text()
