"""The PDF report: rendered offscreen with Qt's PDF writer, found by the engine through the
`interlock.report_formats` entry point, and read back through its text layer (pypdf)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from desktop.reports_pdf import render_pdf, timeline_image
from engine.cli.main import main
from engine.reports import build_report, render
from engine.store.sqlite import SqliteRunStore
from tests.engine.reports import runs


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqliteRunStore, str]]:
    base = tmp_path_factory.mktemp("pdf-runs")
    store = runs.store_at(base / "runs.db")
    yield store, runs.rich_run(store, base).run_id
    store.close()


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_is_paginated_with_the_facts_and_the_timeline(
    rich: tuple[SqliteRunStore, str],
) -> None:
    store, run_id = rich
    report = build_report(store, run_id)
    data = render_pdf(report)
    assert data.startswith(b"%PDF")
    reader, text = pdf_text(data)
    assert len(reader.pages) >= 2
    flat = " ".join(text.split())
    for fact in (
        "triage tickets",
        run_id,
        "big-remote",
        "Routing escalation",
        "Governance",
        "not granted by the workflow policy",
        "hardware/printer",
        "$0.0125",
    ):
        assert fact in flat, fact
    assert (report.governance.audit_head or "?")[:32] in flat.replace(" ", "")
    assert any(page.images for page in reader.pages)  # the timeline picture
    for canary in runs.CANARIES:
        assert canary not in text and canary.encode() not in data


def test_timeline_image_is_drawn(rich: tuple[SqliteRunStore, str]) -> None:
    store, run_id = rich
    image = timeline_image(build_report(store, run_id))
    assert image.width() > 1000 and image.height() > 100
    colours = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 7)
        for y in range(0, image.height(), 7)
    }
    assert "#2f9e5b" in colours  # succeeded bars are there


def test_engine_finds_the_pdf_renderer_by_entry_point(
    rich: tuple[SqliteRunStore, str], tmp_path: Path
) -> None:
    store, run_id = rich
    data = render(run_id, store, "pdf")
    assert isinstance(data, bytes) and data.startswith(b"%PDF")
    out = tmp_path / "run.pdf"
    assert main(["report", run_id, "-f", "pdf", "-o", str(out), "--db", str(store.path)]) == 0
    assert run_id in " ".join(pdf_text(out.read_bytes())[1].split())
