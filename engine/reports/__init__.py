"""Trace reports: one `RunReport` built from the store, rendered as HTML, Markdown, JSON
(the versioned run export), OTLP/JSON, or PDF (by a renderer registered under the
`interlock.report_formats` entry-point group; the desktop package provides `pdf`).

    engine.reports.render(run_id, store, "html")  # -> str; "pdf" -> bytes
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points

from engine.reports.build import ReportError, build_report
from engine.reports.diff import RunDiff, diff_runs, render_diff
from engine.reports.export import export_run, import_run, render_json
from engine.reports.html import render_html
from engine.reports.markdown import render_markdown
from engine.reports.model import RunReport
from engine.reports.otlp import otlp_request, render_otlp
from engine.store.protocol import RunStore

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "interlock.report_formats"
Renderer = Callable[[RunReport], "str | bytes"]
BUILTIN: dict[str, Renderer] = {
    "html": render_html,
    "md": render_markdown,
    "json": render_json,
    "otlp": render_otlp,
}
FORMATS = ("html", "pdf", "md", "json", "otlp")
EXTENSIONS = {"html": ".html", "pdf": ".pdf", "md": ".md", "json": ".json", "otlp": ".otlp.json"}


def renderer(fmt: str) -> Renderer:
    """The renderer for `fmt`: built in, or loaded from the `interlock.report_formats`
    entry points. Raises ReportError when there is none or it cannot be loaded."""
    if fmt in BUILTIN:
        return BUILTIN[fmt]
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == fmt:
            try:
                loaded: Renderer = entry.load()
            except Exception as exc:  # Qt missing or broken: say so, don't crash the CLI
                raise ReportError(
                    f"the {fmt!r} report renderer ({entry.value}) cannot be loaded: {exc}. "
                    "It needs the Interlock desktop package with Qt (PySide6)."
                ) from exc
            return loaded
    hint = " (install the Interlock desktop package for PDF)" if fmt == "pdf" else ""
    raise ReportError(f"no report renderer for format {fmt!r}{hint}")


def render(run_id: str, store: RunStore, fmt: str) -> str | bytes:
    """Build the report of `run_id` from `store` and render it as `fmt` (one of FORMATS):
    text for html/md/json/otlp, bytes for pdf."""
    render_one = renderer(fmt)
    return render_one(build_report(store, run_id))


__all__ = [
    "ENTRY_POINT_GROUP",
    "EXTENSIONS",
    "FORMATS",
    "ReportError",
    "RunDiff",
    "RunReport",
    "build_report",
    "diff_runs",
    "export_run",
    "import_run",
    "otlp_request",
    "render",
    "render_diff",
    "render_html",
    "render_json",
    "render_markdown",
    "render_otlp",
    "renderer",
]
