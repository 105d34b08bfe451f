"""Run comparison (`interlock diff RUN_A RUN_B`): node by node differences in status,
output, model, tokens and cost between two `RunReport`s, as text, HTML or JSON."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from engine import jsontext
from engine.reports import values
from engine.reports.model import NodeView, RunReport
from engine.reports.nodes import pretty

MAX_DIFF_LINES = 60


@dataclass(frozen=True, slots=True)
class NodeDiff:
    node_id: str
    a: NodeView | None
    b: NodeView | None
    changed: list[str] = field(default_factory=list)
    """Which of status, output, model, tokens, cost differ (or `only in A/B`)."""
    output_diff: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunDiff:
    a: RunReport
    b: RunReport
    nodes: list[NodeDiff]

    @property
    def changed(self) -> list[NodeDiff]:
        return [n for n in self.nodes if n.changed]


def _fields(n: NodeView) -> dict[str, Any]:
    return {
        "status": n.status,
        "output": n.outputs,
        "model": ", ".join(n.models),
        "tokens": (n.prompt_tokens, n.completion_tokens),
        "cost": round(n.cost_usd, 8),
    }


def diff_runs(a: RunReport, b: RunReport) -> RunDiff:
    order = list(dict.fromkeys([n.node_id for n in a.nodes] + [n.node_id for n in b.nodes]))
    in_a = {n.node_id: n for n in a.nodes}
    in_b = {n.node_id: n for n in b.nodes}
    diffs = []
    for node_id in order:
        na, nb = in_a.get(node_id), in_b.get(node_id)
        if na is None or nb is None:
            diffs.append(NodeDiff(node_id, na, nb, ["only in " + ("B" if na is None else "A")]))
            continue
        fa, fb = _fields(na), _fields(nb)
        changed = [k for k in fa if fa[k] != fb[k]]
        lines: list[str] = []
        if "output" in changed:
            lines = list(
                difflib.unified_diff(
                    pretty(na.outputs), pretty(nb.outputs), "A", "B", lineterm="", n=1
                )
            )[:MAX_DIFF_LINES]
        diffs.append(NodeDiff(node_id, na, nb, changed, lines))
    return RunDiff(a, b, diffs)


def _summary(n: NodeView | None) -> dict[str, Any] | None:
    if n is None:
        return None
    return {
        "status": n.status,
        "models": n.models,
        "prompt_tokens": n.prompt_tokens,
        "completion_tokens": n.completion_tokens,
        "cost_usd": n.cost_usd,
        "outputs": n.outputs,
    }


def diff_json(d: RunDiff) -> dict[str, Any]:
    def run(r: RunReport) -> dict[str, Any]:
        return {
            "run_id": r.run_id,
            "workflow_hash": r.workflow_hash,
            "status": r.status,
            "cost_usd": r.totals.cost_usd,
            "duration_s": r.totals.duration_s,
        }

    return {
        "a": run(d.a),
        "b": run(d.b),
        "nodes": [
            {
                "node_id": n.node_id,
                "changed": n.changed,
                "a": _summary(n.a),
                "b": _summary(n.b),
                "output_diff": n.output_diff,
            }
            for n in d.nodes
        ],
    }


def _side(n: NodeView | None) -> str:
    if n is None:
        return "—"
    model = f", {', '.join(n.models)}" if n.models else ""
    cost = f", {values.usd(n.cost_usd)}" if n.cost_usd else ""
    return f"{n.status}{model}{cost}"


def diff_text(d: RunDiff) -> str:
    out = [
        f"A {d.a.run_id}  {d.a.status}  {values.usd(d.a.totals.cost_usd)}  "
        f"{values.duration(d.a.totals.duration_s)}",
        f"B {d.b.run_id}  {d.b.status}  {values.usd(d.b.totals.cost_usd)}  "
        f"{values.duration(d.b.totals.duration_s)}",
    ]
    if d.a.workflow_hash != d.b.workflow_hash:
        out.append("workflow versions differ")
    out.append("")
    for n in d.nodes:
        mark = "*" if n.changed else " "
        out.append(f"{mark} {n.node_id}: {_side(n.a)}  ->  {_side(n.b)}")
        if n.changed:
            out.append(f"    changed: {', '.join(n.changed)}")
        out += [f"    {line}" for line in n.output_diff]
    changed = len(d.changed)
    out += ["", f"{changed} of {len(d.nodes)} nodes differ"]
    return "\n".join(out) + "\n"


_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Interlock run diff {{ d.a.run_id }} / {{ d.b.run_id }}</title><style>{{ css }}</style></head>
<body><h1>Run comparison</h1>
<table><tr><th></th><th>Run</th><th>Status</th><th class="num">Cost</th><th class="num">Duration</th></tr>
{% for label, r in [('A', d.a), ('B', d.b)] %}<tr><td>{{ label }}</td><td class="mono">{{ r.run_id }}</td>
<td>{{ r.status }}</td><td class="num">{{ usd(r.totals.cost_usd) }}</td>
<td class="num">{{ dur(r.totals.duration_s) }}</td></tr>{% endfor %}</table>
<h2>Nodes ({{ d.changed|length }} of {{ d.nodes|length }} differ)</h2>
<table><tr><th>Node</th><th>A</th><th>B</th><th>Changed</th></tr>
{% for n in d.nodes %}<tr{% if n.changed %} class="changed"{% endif %}><td class="mono">{{ n.node_id }}</td>
<td>{{ side(n.a) }}</td><td>{{ side(n.b) }}</td><td>{{ n.changed|join(', ') }}
{% if n.output_diff %}<pre class="diff">{% for line in n.output_diff %}{{ line }}
{% endfor %}</pre>{% endif %}</td></tr>{% endfor %}</table></body></html>
"""  # noqa: E501 (template markup)


def diff_html(d: RunDiff) -> str:
    from engine.reports.html import _environment
    from engine.reports.html_template import CSS

    template = _environment().from_string(_HTML)
    css = Markup(CSS + "tr.changed td { background: #fff8e6; }")
    return template.render(d=d, css=css, side=_side)


def render_diff(d: RunDiff, fmt: str) -> str:
    if fmt == "json":
        return jsontext.dumps(diff_json(d), indent=2, ensure_ascii=False, default=repr) + "\n"
    if fmt == "html":
        return diff_html(d)
    return diff_text(d)
