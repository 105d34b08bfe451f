"""The screen/print HTML report template and its CSS (one self-contained file: inline CSS and
SVG, `<details>` for node sections, no script). Rendered by `engine.reports.html`."""

from __future__ import annotations

CSS = """
:root { --fg:#1d2330; --muted:#5b6372; --line:#dfe3e8; --bg:#ffffff; --soft:#f5f7fa;
  --ok:#2f9e5b; --bad:#d64545; --warn:#e08a2c; --wait:#b8860b; --info:#3b82c4; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; padding: 24px 32px 48px; max-width: 1180px; }
h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 17px; margin: 28px 0 10px;
  padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 13px; margin: 14px 0 6px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
code, pre, .mono { font-family: "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-size: 12px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px;
  margin: 4px 0; white-space: pre-wrap; word-break: break-word; max-height: 28em; overflow: auto; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; color: #fff; background: var(--info); vertical-align: middle; }
.s-succeeded, .s-approved, .s-ok { background: var(--ok); }
.s-failed, .s-refused, .s-rejected { background: var(--bad); }
.s-retrying, .s-interrupted, .s-cancelled { background: var(--warn); }
.s-waiting, .s-waiting_approval, .s-pending { background: var(--wait); }
.s-skipped, .s-not-run { background: #9aa1ab; } .s-cached { background: var(--info); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 10px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 8px 0 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card .k { color: var(--muted); font-size: 12px; } .card .v { font-size: 20px; font-weight: 600; }
.error { color: var(--bad); } .muted { color: var(--muted); } .trunc { color: var(--muted);
  font-size: 12px; margin: 0 0 6px; font-style: italic; }
.timeline { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
.timeline svg { display: block; width: 100%; height: auto; }
details.node { border: 1px solid var(--line); border-left: 4px solid var(--info);
  border-radius: 4px; margin: 8px 0; padding: 0 12px; }
details.node.st-succeeded { border-left-color: var(--ok); }
details.node.st-failed { border-left-color: var(--bad); }
details.node.st-waiting, details.node.st-interrupted { border-left-color: var(--warn); }
details.node.st-skipped, details.node.st-not-run { border-left-color: #9aa1ab; }
details.node > summary { cursor: pointer; padding: 8px 0; list-style-position: inside; }
details.node[open] > summary { border-bottom: 1px solid var(--line); margin-bottom: 6px; }
summary .nid { font-weight: 600; font-size: 15px; } summary .kind { color: var(--muted);
  margin: 0 8px; } summary .meta { float: right; color: var(--muted); font-size: 12px; }
.diff .add { color: #17693a; background: #e6f6ea; display: block; }
.diff .del { color: #a12b2b; background: #fbeaea; display: block; }
.diff .hunk { color: var(--muted); display: block; }
.hash { font-family: monospace; word-break: break-all; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  padding-top: 8px; }
@media print {
  body { padding: 0; max-width: none; font-size: 11px; }
  pre { max-height: none; overflow: visible; }
  details.node { break-inside: avoid-page; }
  details.node::details-content { content-visibility: visible; display: block; }
  h2 { break-after: avoid; } .timeline { border: none; }
  @page { margin: 14mm; }
}
"""

TEMPLATE = """<!DOCTYPE html>
{%- macro value(v) -%}
{%- set p = preview(v) -%}
<pre>{{ p.text }}</pre>{% if p.truncated %}<p class="trunc">{{ p.note }}</p>{% endif %}
{%- endmacro -%}
{%- macro badge(status) -%}
<span class="badge s-{{ status|replace(' ', '-') }}">{{ status }}</span>
{%- endmacro -%}
{%- macro event_list(events) -%}
<table><tr><th>#</th><th>time</th><th>event</th><th>data</th></tr>
{%- for e in events %}
<tr><td class="num">{{ e.seq }}</td><td class="mono">{{ ts(e.ts) }}</td><td>{{ e.type }}</td>
<td>{{ value(e.data) }}</td></tr>
{%- endfor %}</table>
{%- endmacro -%}
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Interlock run report v{{ version }}">
<title>{{ r.workflow_name }} — run {{ r.run_id }}</title>
<style>{{ css }}</style></head>
<body>
<header>
<h1>{{ r.workflow_name }} {{ badge(r.status) }}</h1>
<dl class="facts">
<dt>Run</dt><dd class="mono">{{ r.run_id }}</dd>
<dt>Workflow version</dt><dd class="hash">{{ r.workflow_hash }}</dd>
{% if r.workflow_path %}<dt>Workflow file</dt><dd class="mono">{{ r.workflow_path }}</dd>{% endif %}
{% if r.parent_run_id %}<dt>Parent run</dt><dd class="mono">{{ r.parent_run_id }}</dd>{% endif %}
{% if r.children %}<dt>Child runs</dt><dd>{% for c in r.children %}<span class="mono">{{ c.label }}</span> {{ badge(c.status) }} <span class="mono muted">{{ c.run_id }}</span>{% if not loop.last %}<br>{% endif %}{% endfor %}</dd>{% endif %}
<dt>Started</dt><dd>{{ ts(r.started_at) }}</dd>
<dt>Finished</dt><dd>{{ ts(r.finished_at) }}</dd>
{% if r.resumes %}<dt>Resumed</dt><dd>{{ r.resumes }} time{{ 's' if r.resumes > 1 }}</dd>{% endif %}
{% if r.error %}<dt>Error</dt><dd class="error">{{ r.error }}</dd>{% endif %}
</dl>
</header>

<section id="totals"><h2>Totals</h2>
<div class="cards">
<div class="card"><div class="k">Duration</div><div class="v">{{ dur(t.duration_s) }}</div></div>
<div class="card"><div class="k">Tokens in / out</div>
<div class="v">{{ "{:,}".format(t.prompt_tokens) }} / {{ "{:,}".format(t.completion_tokens) }}</div></div>
<div class="card"><div class="k">Cost</div><div class="v">{{ usd(t.cost_usd) }}</div></div>
<div class="card"><div class="k">Remote share (tokens)</div><div class="v">{{ pct(t.remote_share) }}</div>
<div class="muted">{{ t.local_calls }} local · {{ t.remote_calls }} remote calls</div></div>
</div>
{% if t.by_model %}<table><tr><th>Model</th><th>Provider</th><th>Where</th><th class="num">Calls</th>
<th class="num">Tokens in</th><th class="num">Tokens out</th><th class="num">Cost</th></tr>
{% for m in t.by_model %}<tr><td class="mono">{{ m.model }}</td><td>{{ m.provider }}</td>
<td>{{ 'remote' if m.remote else 'local' }}</td><td class="num">{{ m.calls }}</td>
<td class="num">{{ "{:,}".format(m.prompt_tokens) }}</td><td class="num">{{ "{:,}".format(m.completion_tokens) }}</td>
<td class="num">{{ usd(m.cost_usd) }}</td></tr>{% endfor %}</table>{% endif %}
<h3>Inputs</h3>{{ value(r.inputs) }}
<h3>Outputs</h3>{{ value(r.outputs) }}
</section>

<section id="timeline"><h2>Timeline</h2><div class="timeline">{{ svg }}</div></section>

<section id="nodes"><h2>Nodes in execution order</h2>
{% for n in r.nodes %}
<details class="node st-{{ n.status|replace(' ', '-') }}" id="node-{{ n.node_id }}"
{%- if open_all or n.status not in ('succeeded', 'cached', 'skipped') %} open{% endif %}>
<summary><span class="nid">{{ n.node_id }}</span><span class="kind">{{ n.kind }}</span>{{ badge(n.status) }}
<span class="meta">{{ dur(n.duration_s) }}{% if n.attempts|length > 1 %} · {{ n.attempts|length }} attempts{% endif %}
{%- if n.prompt_tokens or n.completion_tokens %} · {{ tokens(n.prompt_tokens, n.completion_tokens) }}{% endif %}
{%- if n.cost_usd %} · {{ usd(n.cost_usd) }}{% endif %}
{%- if n.models %} · {{ n.models|join(', ') }}{% endif %}</span></summary>
{% if n.title %}<p class="muted">{{ n.title }}</p>{% endif %}
{% if n.cached_from %}<p>Result reused from <b>{{ n.cached_from }}</b> (cache hit).</p>{% endif %}
{% set a1 = n.attempts[0] if n.attempts|length == 1 else none %}
{% if a1 is not none and not a1.error and a1.retry_delay_s is none %}
<p class="muted">Attempt 1{% if a1.fallback %} (fallback){% endif %}: started {{ ts(a1.started_at) }}, took {{ dur(a1.duration_s) }}
{%- if a1.model %}, model <code>{{ a1.model }}</code> ({{ a1.provider }}){% endif %}.</p>
{% elif n.attempts %}<h3>Attempts</h3>
<table><tr><th>#</th><th>Status</th><th>Started</th><th class="num">Took</th><th>Model</th><th>Error</th><th class="num">Retry wait</th></tr>
{% for a in n.attempts %}<tr><td class="num">{{ a.attempt }}{% if a.fallback %} (fallback){% endif %}</td>
<td>{{ badge(a.status) }}</td><td class="mono">{{ ts(a.started_at) }}</td><td class="num">{{ dur(a.duration_s) }}</td>
<td class="mono">{{ a.model or '' }}</td>
<td>{% if a.error %}<span class="error">[{{ a.error_class }}] {{ a.error }}</span>{% endif %}</td>
<td class="num">{{ dur(a.retry_delay_s) if a.retry_delay_s is not none else '' }}</td></tr>{% endfor %}
</table>{% endif %}
{% if n.routing %}<h3>Routing</h3>
{% for d in n.routing %}<p><b>{{ d.phase }}</b> (attempt {{ d.attempt }}, call {{ d.call }}):
{% if d.chosen %}chose <code>{{ d.chosen }}</code> via {{ d.provider }}{% else %}<span class="error">no model</span>{% endif %} — {{ d.reason }}{% if d.trigger %} <span class="muted">(trigger: {{ d.trigger }})</span>{% endif %}
{% if d.warning %}<br><span class="error">{{ d.warning }}</span>{% endif %}</p>
{% if d.candidates %}<table><tr><th>Candidate</th><th>Where</th><th>Tier</th><th class="num">Est. cost</th><th>Rejected because</th></tr>
{% for c in d.candidates %}<tr><td class="mono">{{ c.model }}</td><td>{{ 'remote' if c.remote else 'local' }}</td>
<td>{{ c.tier }}</td><td class="num">{{ usd(c.est_cost_usd or 0) }}</td><td>{{ c.rejected or '—' }}</td></tr>{% endfor %}
</table>{% endif %}{% endfor %}{% endif %}
{% if n.model_calls %}<h3>Model calls</h3>
<table><tr><th>Attempt.call</th><th>Model</th><th>Where</th><th>Outcome</th><th class="num">Tokens</th><th class="num">Took</th><th class="num">Cost</th></tr>
{% for c in n.model_calls %}<tr><td>{{ c.attempt }}.{{ c.call }}</td><td class="mono">{{ c.model }}</td>
<td>{{ 'remote' if c.remote else 'local' }}</td><td>{{ c.outcome }}{% if c.error %}: <span class="error">{{ c.error }}</span>{% endif %}</td>
<td class="num">{{ tokens(c.prompt_tokens, c.completion_tokens) }}</td><td class="num">{{ dur(c.duration_s) }}</td>
<td class="num">{{ usd(c.cost_usd) }}</td></tr>{% endfor %}</table>{% endif %}
{% if n.prompt %}<h3>Prompt as rendered</h3>
{% for part in n.prompt %}<div class="muted">{{ part.role }}</div>{{ value(part.text) }}{% endfor %}
{% elif n.attempts and n.attempts[-1].inputs %}<h3>Inputs</h3>{{ value(n.attempts[-1].inputs) }}{% endif %}
{% if n.tool_calls %}<h3>Tool calls</h3>
{% for c in n.tool_calls %}<p><code>{{ c.tool }}</code> #{{ c.call_index }} {{ badge(c.status) }}
<span class="muted">{{ c.side_effect }} · by {{ c.actor }}{% if c.duration_s is not none %} · {{ dur(c.duration_s) }}{% endif %}</span>
{% if c.gate %}<br>approval rule {{ c.gate }}{% endif %}
{% if c.error %}<br><span class="error">{{ c.error }}</span>{% endif %}</p>
<div class="muted">arguments</div>{{ value(c.arguments) }}
{% if c.result %}<div class="muted">result</div>{{ value(c.result) }}{% endif %}{% endfor %}{% endif %}
{% for ap in n.approvals %}<h3>Approval{% if ap.rule %} (rule {{ ap.rule }}){% endif %}</h3>
<p><b>{{ ap.title }}</b> {{ badge(ap.status) }}{% if ap.decision %} — {{ ap.decision }} by
<b>{{ ap.decider }}</b>{% if ap.by_deadline %} (deadline){% endif %}{% endif %}
{% if ap.comment %}: “{{ ap.comment }}”{% endif %}<br>
<span class="muted">requested {{ ts(ap.requested_at) }}, decided {{ ts(ap.decided_at) }}</span></p>
{% if ap.summary %}<p>{{ ap.summary }}</p>{% endif %}
{% if ap.diff %}<div class="muted">edit (proposed → edited)</div>
<pre class="diff">{% for line in ap.diff %}{% if line.startswith('+++') or line.startswith('---') or line.startswith('@@') %}<span class="hunk">{{ line }}</span>{% elif line.startswith('+') %}<span class="add">{{ line }}</span>{% elif line.startswith('-') %}<span class="del">{{ line }}</span>{% else %}{{ line }}
{% endif %}{% endfor %}</pre>
{% else %}<div class="muted">proposed</div>{{ value(ap.proposed) }}{% endif %}{% endfor %}
{% if n.outputs %}<h3>Output</h3>{{ value(n.outputs) }}{% endif %}
{% if n.events %}<h3>Other events</h3>{{ event_list(n.events) }}{% endif %}
</details>
{% endfor %}
</section>

<section id="governance"><h2>Governance</h2>
{% set g = r.governance %}
<table><tr><th>Tool</th><th>Granted by policy</th><th class="num">Calls</th><th class="num">Refused</th></tr>
{% for tool in tool_names %}<tr><td class="mono">{{ tool }}</td><td>{{ 'yes' if tool in g.tools_granted else 'no' }}</td>
<td class="num">{{ g.tools_used.get(tool, 0) }}</td><td class="num">{{ refused_by_tool.get(tool, 0) }}</td></tr>
{% else %}<tr><td colspan="4" class="muted">no tools granted or used</td></tr>{% endfor %}
</table>
{% if g.refused %}<h3>Refused calls</h3><table><tr><th>Node</th><th>Tool</th><th>Reason</th></tr>
{% for c in g.refused %}<tr><td>{{ c.node_id }}</td><td class="mono">{{ c.tool }}</td><td class="error">{{ c.error }}</td></tr>{% endfor %}</table>{% endif %}
<h3>Approvals</h3><p>{% for k, v in g.approvals|dictsort %}{{ k }}: <b>{{ v }}</b>{% if not loop.last %} · {% endif %}{% else %}none{% endfor %}</p>
{% if g.policy_events %}<h3>Policy events</h3>{{ event_list(g.policy_events) }}{% endif %}
<h3>Audit trail</h3>
{% if g.audit_head %}<p>{{ g.audit_entries }} entries for this run; head hash <span class="hash">{{ g.audit_head }}</span>
— chain {{ 'verified' if g.audit_chain_ok else 'NOT verified' }}{% if g.audit_note %} ({{ g.audit_note }}){% endif %}</p>
{% else %}<p class="muted">No audit entries for this run{% if g.audit_note %} ({{ g.audit_note }}){% endif %}.</p>{% endif %}
</section>
{% if r.run_events %}<section id="run-events"><h2>Run events</h2>{{ event_list(r.run_events) }}</section>{% endif %}
<footer>Interlock run report, format version {{ version }} · generated {{ ts(r.generated_at) }} ·
secrets redacted, long values shortened (the JSON export keeps them whole).</footer>
</body></html>
"""  # noqa: E501 (template markup)
