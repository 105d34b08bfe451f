"""Evaluation reports: a self-contained HTML page (summary per variant, a cost-vs-score
chart of the variants, failing rows linked to their runs' trace reports) and JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from engine.evaluation.summary import EvalSummary, VariantSummary, row_json, summary_json
from engine.store.evaluation_records import RowResult

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Evaluation {{ s.name }} ({{ s.eval_id }})</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2430;max-width:1100px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5b6573} table{border-collapse:collapse;margin:8px 0;width:100%}
th,td{border:1px solid #d7dce3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f8} td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#17703a;font-weight:600} .bad{color:#b3261e;font-weight:600}
code{font-size:12px;background:#f4f5f7;padding:1px 3px;border-radius:3px}
</style></head><body>
<h1>Evaluation: {{ s.name }}</h1>
<div class="meta">{{ s.eval_id }} &middot; dataset {{ s.dataset.name }}@{{ s.dataset.hash[:12] }}
&middot; {{ s.rows_done }} of {{ s.rows_expected }} rows &middot; status {{ s.status }}
{% if s.parent_eval_id %}&middot; re-run of {{ s.parent_eval_id }}{% endif %}</div>
<p>Gate: {% if s.gate.ok %}<span class="ok">met</span>{% else %}<span class="bad">not met</span>
<ul>{% for f in s.gate.failures %}<li>{{ f }}</li>{% endfor %}</ul>{% endif %}</p>
<h2>Summary</h2>
<table><tr><th>variant</th><th>rows</th><th>pass rate</th>
{% for sc in scorers %}<th>{{ sc }} (mean, 95% CI)</th>{% endfor %}
<th>cost USD</th><th>tokens</th><th>remote share</th><th>latency p50 / p95 s</th>
<th>scoring cost USD</th></tr>
{% for name, v in s.variants.items() %}<tr><td>{{ name }}</td><td class="n">{{ v.rows }}</td>
<td class="n">{{ '%.1f%%' % (100 * v.pass_rate) }}</td>
{% for sc in scorers %}{% set x = v.scorers[sc] %}<td class="n">{{ '%.3f' % x.mean }}
[{{ '%.3f' % x.ci95[0] }}, {{ '%.3f' % x.ci95[1] }}]</td>{% endfor %}
<td class="n">{{ '%.6f' % v.cost_usd }}</td><td class="n">{{ v.tokens }}</td>
<td class="n">{{ '%.1f%%' % (100 * v.remote_share) }}</td>
<td class="n">{{ '%.2f' % v.latency_p50_s }} / {{ '%.2f' % v.latency_p95_s }}</td>
<td class="n">{{ '%.6f' % v.scoring_cost_usd }}</td></tr>{% endfor %}
</table>
<h2>Cost vs score</h2>
{{ chart | safe }}
<h2>Failing rows ({{ failing | length }})</h2>
{% if failing %}<table><tr><th>variant</th><th>row</th><th>repeat</th><th>run</th>
<th>status</th><th>scores</th><th>outputs</th></tr>
{% for r in failing %}<tr><td>{{ r.variant }}</td><td class="n">{{ r.row }}</td>
<td class="n">{{ r.repeat }}</td>
<td>{% if r.run_id and links.get(r.run_id) %}<a href="{{ links[r.run_id] }}">{{ r.run_id }}</a>
{% elif r.run_id %}<code>{{ r.run_id }}</code>{% else %}-{% endif %}</td>
<td>{{ r.run_status }}{% if r.error %}: {{ r.error[:200] }}{% endif %}</td>
<td>{% for k, sc in r.scores.items() %}<div>{{ k }}: {{ '%.2f' % sc.score }}
{% if not sc.passed %}<span class="bad">fail</span>{% endif %}
{% if sc.reason %}&mdash; {{ sc.reason[:200] }}{% endif %}</div>{% endfor %}</td>
<td><code>{{ r.outputs | tojson | truncate(300) }}</code></td></tr>{% endfor %}
</table>{% else %}<p>None: every row passed every scorer.</p>{% endif %}
</body></html>
"""


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True)


def cost_score_points(summary: EvalSummary) -> tuple[str, list[tuple[str, float, float]]]:
    """(x-axis label, [(variant, x, score)]): USD per row, or tokens per row when every
    variant ran at no cost (all local)."""
    variants = list(summary.variants.values())
    use_cost = any(v.cost_usd > 0 for v in variants)

    def x(v: VariantSummary) -> float:
        return v.cost_per_row if use_cost else (v.tokens / v.rows if v.rows else 0.0)

    label = "USD per row" if use_cost else "tokens per row (no variant had a cost)"
    return label, [(v.variant, x(v), v.score) for v in variants]


def chart_svg(summary: EvalSummary, width: int = 560, height: int = 300) -> str:
    """An inline SVG scatter of the variants: cost (x) against mean score (y)."""
    label, points = cost_score_points(summary)
    return scatter_svg(points, label, "mean score", width, height)


def scatter_svg(
    points: list[tuple[str, float, float]],
    x_label: str,
    y_label: str,
    width: int = 560,
    height: int = 300,
) -> str:
    """An inline SVG scatter of labelled points, y from 0 to 1."""
    left, right, top, bottom = 60, 20, 16, 44
    top_x = max((p[1] for p in points), default=0.0)
    top_x = top_x * 1.15 if top_x > 0 else 1.0
    env = _environment()

    def text(value: str) -> str:
        return env.from_string("{{ v }}").render(v=value)

    def sx(v: float) -> float:
        return left + (width - left - right) * (v / top_x)

    def sy(v: float) -> float:
        return top + (height - top - bottom) * (1 - v)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{text(x_label)} against {text(y_label)}">',
        f'<line x1="{left}" y1="{sy(0)}" x2="{width - right}" y2="{sy(0)}" stroke="#888"/>',
        f'<line x1="{left}" y1="{sy(0)}" x2="{left}" y2="{sy(1)}" stroke="#888"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<text x="{left - 6}" y="{sy(tick) + 4}" font-size="11" text-anchor="end">'
            f"{tick:.2f}</text>"
        )
    for i in range(5):
        value = top_x * i / 4
        shown = f"{value:.2g}" if value else "0"
        parts.append(
            f'<text x="{sx(value)}" y="{sy(0) + 16}" font-size="11" text-anchor="middle">'
            f"{shown}</text>"
        )
    parts.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 6}" font-size="12" '
        f'text-anchor="middle">{text(x_label)}</text>'
    )
    parts.append(
        f'<text x="14" y="{(top + height - bottom) / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {(top + height - bottom) / 2})">{text(y_label)}</text>'
    )
    for name, x, y in points:
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="5" fill="#2f6fde"/>')
        parts.append(
            f'<text x="{sx(x) + 8:.1f}" y="{sy(y) - 6:.1f}" font-size="12">{text(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def frontier_html(result: Any) -> str:
    """A page with a calibration's cost-vs-score frontier (remote share against score)."""
    points = [
        (
            f"{100 * p.remote_share:.0f}% remote" + (" (chosen)" if p == result.chosen else ""),
            p.remote_share,
            p.score,
        )
        for p in result.frontier
    ]
    points += [
        (f"{m} alone", float(r), s)
        for m, s, r in zip(result.ladder, result.rung_scores, result.rung_remote, strict=True)
    ]
    chart = scatter_svg(points, "share of rows sent to a remote model", "score")
    env = _environment()
    page = env.from_string(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Calibration of "
        "{{ node }}</title></head><body style='font:14px system-ui,sans-serif;margin:24px'>"
        "<h1 style='font-size:20px'>Calibration of {{ node }}</h1>"
        "<p>{{ rows }} rows; ladder {{ ladder }}; target {{ target }} of the top rung's "
        "score</p>{{ chart | safe }}</body></html>"
    )
    return page.render(
        node=result.node_id,
        rows=len(result.rows),
        ladder=" -> ".join(result.ladder),
        target=result.target,
        chart=chart,
    )


def render_eval_html(
    summary: EvalSummary, results: list[RowResult], links: dict[str, str] | None = None
) -> str:
    data = summary_json(summary)
    scorers = [s["id"] for s in summary.record.spec.get("scorers", [])]
    failing = [row_json(r) for r in results if not r.passed]
    template = _environment().from_string(_PAGE)
    return template.render(
        s=data, scorers=scorers, chart=chart_svg(summary), failing=failing, links=links or {}
    )


def render_eval_json(summary: EvalSummary, results: list[RowResult]) -> str:
    data = summary_json(summary)
    data["spec"] = summary.record.spec
    data["rows"] = [row_json(r) for r in results]
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=str)


def write_run_reports(
    store: Any, results: list[RowResult], out: Path, render: Any
) -> dict[str, str]:
    """Write each failing row's run trace report (HTML) next to `out`, in OUT_runs/;
    returns run id -> relative link."""
    folder = out.with_name(f"{out.stem}_runs")
    links: dict[str, str] = {}
    for result in results:
        if result.passed or result.run_id is None or result.run_id in links:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        html = render(result.run_id, store, "html")
        target = folder / f"{result.run_id}.html"
        target.write_text(html if isinstance(html, str) else html.decode("utf-8"), "utf-8")
        links[result.run_id] = f"{folder.name}/{target.name}"
    return links
