"""The report template for Qt's rich-text subset (QTextDocument, which the desktop prints to
PDF): tables and inline styles only, no `<details>`, the timeline as an image resource."""

from __future__ import annotations

TEMPLATE = """<html><head><meta charset="utf-8"><style>
body { font-family: Helvetica, Arial, sans-serif; font-size: 9pt; color: #1d2330; }
h1 { font-size: 16pt; margin-bottom: 2pt; }
h2 { font-size: 12pt; margin-top: 14pt; margin-bottom: 4pt; color: #1d2330; }
h3 { font-size: 10pt; margin-top: 10pt; margin-bottom: 2pt; }
h4 { font-size: 8pt; color: #5b6372; margin-top: 6pt; margin-bottom: 1pt; }
pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 7.5pt;
  white-space: pre-wrap; background-color: #f5f7fa; margin-top: 1pt; margin-bottom: 3pt; }
th { background-color: #eef1f5; color: #5b6372; font-size: 8pt; text-align: left; }
td { font-size: 8.5pt; }
.muted { color: #5b6372; } .error { color: #c03535; } .mono { font-family: monospace; }
.add { color: #17693a; background-color: #e6f6ea; } .del { color: #a12b2b; background-color: #fbeaea; }
</style></head><body>
{%- macro value(v) -%}
{%- set p = preview(v, 700) -%}
<pre>{{ p.text }}</pre>{% if p.truncated %}<p class="muted"><i>{{ p.note }}</i></p>{% endif %}
{%- endmacro -%}
{%- macro status(s) -%}
<b style="color: {{ {'succeeded': '#2f9e5b', 'failed': '#c03535', 'refused': '#c03535', 'approved': '#2f9e5b', 'ok': '#2f9e5b'}.get(s, '#b26a00') }}">{{ s }}</b>
{%- endmacro %}
<h1>{{ r.workflow_name }}</h1>
<p>Run <span class="mono">{{ r.run_id }}</span> — {{ status(r.status) }}</p>
<table cellspacing="0" cellpadding="3" width="100%">
<tr><td width="22%" class="muted">Workflow version</td><td class="mono">{{ r.workflow_hash }}</td></tr>
<tr><td class="muted">Started</td><td>{{ ts(r.started_at) }}</td></tr>
<tr><td class="muted">Finished</td><td>{{ ts(r.finished_at) }}</td></tr>
{% if r.resumes %}<tr><td class="muted">Resumed</td><td>{{ r.resumes }}x</td></tr>{% endif %}
{% if r.error %}<tr><td class="muted">Error</td><td class="error">{{ r.error }}</td></tr>{% endif %}
<tr><td class="muted">Duration</td><td>{{ dur(t.duration_s) }}</td></tr>
<tr><td class="muted">Tokens</td><td>{{ tokens(t.prompt_tokens, t.completion_tokens) }}</td></tr>
<tr><td class="muted">Cost</td><td>{{ usd(t.cost_usd) }}</td></tr>
<tr><td class="muted">Remote share</td><td>{{ pct(t.remote_share) }} of tokens ({{ t.local_calls }} local, {{ t.remote_calls }} remote calls)</td></tr>
</table>
{% if t.by_model %}<h3>Cost by model</h3>
<table cellspacing="0" cellpadding="3" width="100%" border="0">
<tr><th>Model</th><th>Where</th><th>Calls</th><th>Tokens</th><th>Cost</th></tr>
{% for m in t.by_model %}<tr><td class="mono">{{ m.model }}</td><td>{{ 'remote' if m.remote else 'local' }}</td>
<td>{{ m.calls }}</td><td>{{ tokens(m.prompt_tokens, m.completion_tokens) }}</td><td>{{ usd(m.cost_usd) }}</td></tr>{% endfor %}
</table>{% endif %}
<h3>Inputs</h3>{{ value(r.inputs) }}
<h3>Outputs</h3>{{ value(r.outputs) }}
<h2>Timeline</h2>
<p><img src="{{ timeline_image }}" width="{{ timeline_width }}"></p>
<h2 style="page-break-before: always">Nodes in execution order</h2>
{% for n in r.nodes %}
<h3 style="margin-top: 14pt">{{ n.node_id }} <span class="muted">({{ n.kind }})</span> — {{ status(n.status) }}
<span class="muted"> · {{ dur(n.duration_s) }}{% if n.prompt_tokens or n.completion_tokens %} · {{ tokens(n.prompt_tokens, n.completion_tokens) }}{% endif %}{% if n.cost_usd %} · {{ usd(n.cost_usd) }}{% endif %}{% if n.models %} · {{ n.models|join(', ') }}{% endif %}</span></h3>
{% if n.cached_from %}<p>Result reused from {{ n.cached_from }} (cache hit).</p>{% endif %}
{% if n.attempts|length > 1 or n.attempts|selectattr('error')|list %}
<table cellspacing="0" cellpadding="2" width="100%">
<tr><th>#</th><th>Status</th><th>Took</th><th>Error</th><th>Retry wait</th></tr>
{% for a in n.attempts %}<tr><td>{{ a.attempt }}</td><td>{{ status(a.status) }}</td><td>{{ dur(a.duration_s) }}</td>
<td class="error">{% if a.error %}[{{ a.error_class }}] {{ a.error }}{% endif %}</td>
<td>{{ dur(a.retry_delay_s) if a.retry_delay_s is not none else '' }}</td></tr>{% endfor %}
</table>{% endif %}
{% for d in n.routing %}<p>Routing <b>{{ d.phase }}</b>: {% if d.chosen %}<span class="mono">{{ d.chosen }}</span> ({{ d.provider }}){% else %}<span class="error">no model</span>{% endif %} — {{ d.reason }}{% if d.trigger %} <span class="muted">(trigger: {{ d.trigger }})</span>{% endif %}
{% for c in d.candidates if c.rejected %}<br><span class="muted">rejected {{ c.model }}: {{ c.rejected }}</span>{% endfor %}</p>{% endfor %}
{% for c in n.model_calls %}<p>Model call {{ c.attempt }}.{{ c.call }}: <span class="mono">{{ c.model }}</span> ({{ 'remote' if c.remote else 'local' }}) {{ c.outcome }}, {{ tokens(c.prompt_tokens, c.completion_tokens) }}, {{ usd(c.cost_usd) }}</p>{% endfor %}
{% for part in n.prompt %}<h4>Prompt ({{ part.role }})</h4>{{ value(part.text) }}{% endfor %}
{% for c in n.tool_calls %}<h4>Tool call {{ c.tool }} #{{ c.call_index }} — {{ status(c.status) }}</h4>
{% if c.gate %}<p>approval rule {{ c.gate }}</p>{% endif %}{% if c.error %}<p class="error">{{ c.error }}</p>{% endif %}
{{ value(c.arguments) }}{% if c.result %}<h4>Result</h4>{{ value(c.result) }}{% endif %}{% endfor %}
{% for ap in n.approvals %}<h4>Approval</h4><p><b>{{ ap.title }}</b> — {{ status(ap.status) }}{% if ap.decision %}, {{ ap.decision }} by <b>{{ ap.decider }}</b>{% endif %}{% if ap.comment %}: “{{ ap.comment }}”{% endif %}</p>
{% if ap.diff %}<pre>{% for line in ap.diff %}{% if line.startswith('+') and not line.startswith('+++') %}<span class="add">{{ line }}</span>{% elif line.startswith('-') and not line.startswith('---') %}<span class="del">{{ line }}</span>{% else %}{{ line }}{% endif %}{{ "\n" }}{% endfor %}</pre>{% else %}{{ value(ap.proposed) }}{% endif %}{% endfor %}
{% if n.outputs %}<h4>Output</h4>{{ value(n.outputs) }}{% endif %}
{% for e in n.events %}<p class="muted">event {{ e.type }} #{{ e.seq }}: {{ preview(e.data, 300).text }}</p>{% endfor %}
{% endfor %}
{% set g = r.governance %}
<h2>Governance</h2>
<table cellspacing="0" cellpadding="3" width="100%">
<tr><th>Tool</th><th>Granted</th><th>Calls</th><th>Refused</th></tr>
{% for tool in tool_names %}<tr><td class="mono">{{ tool }}</td><td>{{ 'yes' if tool in g.tools_granted else 'no' }}</td>
<td>{{ g.tools_used.get(tool, 0) }}</td><td>{{ refused_by_tool.get(tool, 0) }}</td></tr>{% else %}<tr><td colspan="4">no tools granted or used</td></tr>{% endfor %}
</table>
{% for c in g.refused %}<p class="error">Refused: {{ c.tool }} in {{ c.node_id }} — {{ c.error }}</p>{% endfor %}
<p>Approvals: {% for k, v in g.approvals|dictsort %}{{ k }} {{ v }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}.
Policy events: {{ g.policy_events|length }}.</p>
{% if g.audit_head %}<p>Audit trail: {{ g.audit_entries }} entries for this run; head hash<br><span class="mono">{{ g.audit_head }}</span> — chain {{ 'verified' if g.audit_chain_ok else 'NOT verified' }}</p>
{% else %}<p class="muted">No audit entries for this run{% if g.audit_note %} ({{ g.audit_note }}){% endif %}.</p>{% endif %}
<p class="muted">Interlock run report v{{ version }}, generated {{ ts(r.generated_at) }}. Secrets redacted; long values shortened (the JSON export keeps them whole).</p>
</body></html>
"""  # noqa: E501 (template markup)
