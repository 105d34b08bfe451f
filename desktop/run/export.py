"""Run export from the app: each format is the engine's report renderer (`engine.reports`:
HTML, Markdown, OTLP, the versioned JSON run export; PDF from `desktop.reports_pdf`),
written to a file. `export_report` blocks (it reads the store): run it in a worker thread."""

from __future__ import annotations

from pathlib import Path

from engine.reports import EXTENSIONS, build_report, renderer
from engine.store.protocol import RunStore

FORMAT_NAMES = {
    "html": "HTML report",
    "pdf": "PDF report",
    "md": "Markdown report",
    "otlp": "OTLP trace",
    "json": "Run export (JSON)",
}
"""The formats the app exports, in menu order, with their names in menus and dialogs."""


def file_filter(fmt: str) -> str:
    """The file dialog filter of `fmt`, e.g. `HTML report (*.html)`."""
    return f"{FORMAT_NAMES[fmt]} (*{EXTENSIONS[fmt]})"


def format_of(path: Path, chosen_filter: str = "") -> str:
    """The format a file is exported in: its extension, else the dialog's chosen filter,
    else JSON. `.otlp.json` is OTLP; a plain `.json` is the run export."""
    name = path.name.lower()
    by_suffix = sorted(EXTENSIONS.items(), key=lambda kv: -len(kv[1]))
    for fmt, suffix in by_suffix:
        if fmt in FORMAT_NAMES and name.endswith(suffix):
            return fmt
    for fmt in FORMAT_NAMES:
        if chosen_filter and chosen_filter == file_filter(fmt):
            return fmt
    return "json"


def with_extension(path: Path, fmt: str) -> Path:
    """`path`, with the extension of `fmt` added when it has none of its own."""
    return path if format_of(path) == fmt else path.with_name(path.name + EXTENSIONS[fmt])


def export_report(store: RunStore, run_id: str, path: Path, fmt: str) -> Path:
    """Render run `run_id` as `fmt` with the engine's renderer and write it to `path`.
    Raises ReportError (no such run, no renderer) or OSError."""
    content = renderer(fmt)(build_report(store, run_id))
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path
