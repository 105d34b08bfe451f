"""HTML rendering of a `RunReport` in a sandboxed, autoescaping Jinja environment: the
self-contained screen/print file, and a plainer variant for Qt's rich-text subset (PDF)."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from engine.reports import values
from engine.reports.model import REPORT_VERSION, RunReport
from engine.reports.timeline import timeline_svg

Variant = Literal["screen", "qt"]
TIMELINE_IMAGE = "interlock-timeline.png"
"""The image name the Qt variant refers to; the PDF renderer supplies that resource."""
QT_TIMELINE_WIDTH = 640
"""Width of the timeline image in the Qt variant, in the document's pixels."""
OPEN_ALL_UP_TO = 15
"""Runs with at most this many nodes show every node section open."""


@cache
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
    env.globals.update(
        preview=values.preview,
        dur=values.duration,
        ts=values.timestamp,
        usd=values.usd,
        pct=values.percent,
        tokens=values.tokens,
        version=REPORT_VERSION,
    )
    return env


@cache
def _template(variant: Variant) -> Template:
    if variant == "screen":
        from engine.reports.html_template import TEMPLATE
    else:
        from engine.reports.qt_template import TEMPLATE
    return _environment().from_string(TEMPLATE)


def _context(report: RunReport) -> dict[str, Any]:
    g = report.governance
    refused: dict[str, int] = {}
    for call in g.refused:
        refused[call.tool] = refused.get(call.tool, 0) + 1
    return {
        "r": report,
        "t": report.totals,
        "open_all": len(report.nodes) <= OPEN_ALL_UP_TO,
        "tool_names": sorted(set(g.tools_granted) | set(g.tools_used) | set(refused)),
        "refused_by_tool": refused,
    }


def render_html(report: RunReport, variant: Variant = "screen") -> str:
    """The report as one HTML document. `screen` inlines CSS and the SVG timeline; `qt`
    keeps to what QTextDocument lays out and refers to the timeline as `TIMELINE_IMAGE`."""
    context = _context(report)
    if variant == "screen":
        from engine.reports.html_template import CSS

        context.update(css=Markup(CSS), svg=Markup(timeline_svg(report)))
    else:
        context.update(timeline_image=TIMELINE_IMAGE, timeline_width=QT_TIMELINE_WIDTH)
    return _template(variant).render(context)
