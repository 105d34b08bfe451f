"""The timeline chart as plain SVG (no script, SVG Tiny features only so Qt's QSvgRenderer
draws it for the PDF too): one row per node, attempts as bars, retry and approval waits."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from engine.reports.model import RunReport, Span
from engine.reports.values import duration

COLORS = {
    "succeeded": "#2f9e5b",
    "failed": "#d64545",
    "retrying": "#e08a2c",
    "interrupted": "#8c8c8c",
    "waiting": "#8a6fe8",
    "running": "#3b82c4",
    "cached": "#3b82c4",
    "skipped": "#b0b0b0",
}
WAIT = "#f2c14e"
LABEL_W, ROW_H, BAR_H, TOP, PAD = 180, 22, 12, 30, 14


def nice_step(span_s: float, ticks: int = 6) -> float:
    """A 1-2-5 step giving about `ticks` grid lines over `span_s` seconds."""
    raw = max(span_s, 1e-6) / ticks
    base = 10.0 ** math.floor(math.log10(raw))
    return next(float(m * base) for m in (1, 2, 5, 10) if m * base >= raw)


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def timeline_svg(report: RunReport, width: int = 960) -> str:
    rows = [n.node_id for n in report.nodes if any(s.node_id == n.node_id for s in report.spans)]
    t0 = report.started_at
    t1 = max([s.end for s in report.spans] + [report.finished_at or t0, t0 + 1e-3])
    plot_w = width - LABEL_W - PAD
    scale = plot_w / (t1 - t0)
    height = TOP + ROW_H * max(len(rows), 1) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="11" role="img" aria-label="Timeline of node attempts">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    step = nice_step(t1 - t0)
    tick = 0.0
    while tick <= (t1 - t0) + 1e-9:
        x = LABEL_W + tick * scale
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{TOP + ROW_H * len(rows)}" '
            f'stroke="#e3e6ea" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{TOP - 10}" text-anchor="middle" fill="#555">'
            f"{escape(duration(tick))}</text>"
        )
        tick += step
    for i, node_id in enumerate(rows):
        y = TOP + i * ROW_H
        if i % 2 == 0:
            out.append(f'<rect x="0" y="{y}" width="{width}" height="{ROW_H}" fill="#f5f7fa"/>')
        label = node_id if len(node_id) <= 24 else node_id[:23] + "…"
        out.append(
            f'<text x="{LABEL_W - 8}" y="{y + ROW_H / 2 + 4:.1f}" text-anchor="end" '
            f'fill="#222">{escape(label)}</text>'
        )
        spans = [s for s in report.spans if s.node_id == node_id]
        spans.sort(key=lambda s: s.kind != "approval_wait")  # waits behind the bars
        out.extend(_span(span, t0, scale, y) for span in spans)
    out.append(_legend(TOP + ROW_H * len(rows) + 18))
    out.append("</svg>")
    return "\n".join(out)


def _span(span: Span, t0: float, scale: float, y: float) -> str:
    x = LABEL_W + (span.start - t0) * scale
    w = max((span.end - span.start) * scale, 2.0)
    mid = y + ROW_H / 2
    took = duration(span.end - span.start)
    if span.kind == "retry_wait":
        return (
            f'<line x1="{x:.1f}" y1="{mid:.1f}" x2="{x + w:.1f}" y2="{mid:.1f}" '
            f'stroke="{COLORS["retrying"]}" stroke-width="2" stroke-dasharray="3,3">'
            f"{_title(f'retry wait after attempt {span.attempt}: {took}')}</line>"
        )
    if span.kind == "approval_wait":
        return (
            f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{ROW_H - 4}" fill="{WAIT}" '
            f'fill-opacity="0.45" stroke="{WAIT}" stroke-dasharray="4,2">'
            f"{_title(f'waiting for approval ({span.status}): {took}')}</rect>"
        )
    color = COLORS.get(span.status, "#3b82c4")
    if span.kind in ("cached", "skipped"):
        fill = color if span.kind == "cached" else "#ffffff"
        return (
            f'<circle cx="{x:.1f}" cy="{mid:.1f}" r="4" fill="{fill}" stroke="{color}" '
            f'stroke-width="1.5">{_title(span.kind)}</circle>'
        )
    top = y + (ROW_H - BAR_H) / 2
    return (
        f'<rect x="{x:.1f}" y="{top:.1f}" width="{w:.1f}" height="{BAR_H}" rx="2" '
        f'fill="{color}">{_title(f"attempt {span.attempt}: {span.status}, {took}")}</rect>'
    )


def _legend(y: float) -> str:
    items = [
        ("rect", COLORS["succeeded"], "succeeded"),
        ("rect", COLORS["failed"], "failed"),
        ("rect", COLORS["retrying"], "failed, retried"),
        ("dash", COLORS["retrying"], "retry wait"),
        ("wait", WAIT, "approval wait"),
        ("rect", COLORS["waiting"], "paused"),
        ("rect", COLORS["interrupted"], "interrupted"),
        ("dot", COLORS["cached"], "cached"),
    ]
    parts, x = [], float(PAD)
    for shape, color, text in items:
        if shape == "dash":
            parts.append(
                f'<line x1="{x}" y1="{y - 4}" x2="{x + 14}" y2="{y - 4}" stroke="{color}" '
                f'stroke-width="2" stroke-dasharray="3,3"/>'
            )
        elif shape == "dot":
            parts.append(f'<circle cx="{x + 6}" cy="{y - 4}" r="4" fill="{color}"/>')
        else:
            opacity = ' fill-opacity="0.45"' if shape == "wait" else ""
            parts.append(
                f'<rect x="{x}" y="{y - 9}" width="14" height="10" fill="{color}"{opacity}/>'
            )
        parts.append(f'<text x="{x + 19}" y="{y}" fill="#444">{escape(text)}</text>')
        x += 30 + 6.6 * len(text)
    return f"<g aria-label={quoteattr('legend')}>" + "".join(parts) + "</g>"
