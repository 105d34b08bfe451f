"""Render sample run reports and take pictures of them, to look at: the HTML report in
headless Chromium and the PDF through pdftoppm (apt: chromium, poppler-utils).

    .venv/bin/python bench/render_reports.py [--out DIR] [--docs]

Writes report_*.{html,pdf,md,json,otlp.json} and PNGs to DIR (default /tmp/interlock-reports);
--docs also copies the two main pictures to docs/screenshots/report_{html,pdf}.png.
The runs are the test runs of tests/engine/reports/runs.py (real Engine, real SQLite store).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from engine.reports import render  # noqa: E402
from tests.engine.reports import runs  # noqa: E402


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise SystemExit("no chromium on PATH (apt-get install chromium)")


def screenshot(html: Path, png: Path, height: int) -> None:
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={png}",
            f"--window-size=1200,{height}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def pdf_pages(pdf: Path, prefix: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(prefix)], check=True)
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="/tmp/interlock-reports")
    parser.add_argument("--docs", action="store_true", help="update docs/screenshots")
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="interlock-report-runs-"))
    store = runs.store_at(work / "runs.db")
    other = runs.store_at(work / "resumed.db")
    samples = {
        "rich": runs.rich_run(store, work).run_id,
        "failed": runs.failed_run(store, work).run_id,
        "approval": runs.approval_run(store),
    }
    resumed = runs.crashed_and_resumed(store, other)
    for name, run_id in [*samples.items(), ("resumed", resumed)]:
        source = other if name == "resumed" else store
        for fmt, ext in (
            ("html", ".html"),
            ("md", ".md"),
            ("json", ".json"),
            ("otlp", ".otlp.json"),
            ("pdf", ".pdf"),
        ):
            content = render(run_id, source, fmt)
            path = out / f"report_{name}{ext}"
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        screenshot(out / f"report_{name}.html", out / f"report_{name}_html.png", args.height)
        pages = pdf_pages(out / f"report_{name}.pdf", out / f"report_{name}_pdf")
        print(f"{name}: {run_id}, PDF pages: {len(pages)}")
    if args.docs:
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / "report_rich_html.png", docs / "report_html.png")
        shutil.copy(sorted(out.glob("report_rich_pdf-*.png"))[0], docs / "report_pdf.png")
        print(f"updated {docs}/report_html.png and report_pdf.png")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
