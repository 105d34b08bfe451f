"""Markdown rendering of a `RunReport`, for pasting into tickets and pull requests: a header
table, totals, a text timeline, one section per node and the governance summary."""

from __future__ import annotations

from engine.reports import values
from engine.reports.model import NodeView, RunReport

BAR_WIDTH = 40


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fence(value: object, limit: int = values.PREVIEW_CHARS) -> list[str]:
    p = values.preview(value, limit)
    fence = "````" if "```" in p.text else "```"
    lang = "" if isinstance(value, str) else "json"
    lines = [f"{fence}{lang}", p.text, fence]
    return lines + ([f"_{p.note}_"] if p.truncated else [])


def text_timeline(report: RunReport) -> list[str]:
    """One line per node: a bar of `#` (attempts), `~` (waits) over the run's span."""
    spans = report.spans
    if not spans:
        return []
    t0 = report.started_at
    t1 = max([s.end for s in spans] + [report.finished_at or t0, t0 + 1e-3])
    scale = BAR_WIDTH / (t1 - t0)
    width = max(len(n.node_id) for n in report.nodes)
    lines = [f"{'':{width}}  0{values.duration(t1 - t0):>{BAR_WIDTH - 1}}"]
    for node in report.nodes:
        cells = [" "] * BAR_WIDTH
        mine = [s for s in spans if s.node_id == node.node_id]
        if not mine:
            continue
        for span in sorted(mine, key=lambda s: s.kind == "attempt"):
            a = min(BAR_WIDTH - 1, int((span.start - t0) * scale))
            b = max(a + 1, min(BAR_WIDTH, round((span.end - t0) * scale)))
            mark = {"attempt": "#", "cached": "o", "skipped": "."}.get(span.kind, "~")
            if span.kind == "attempt" and span.status in ("failed", "retrying", "interrupted"):
                mark = "x"
            for i in range(a, b):
                cells[i] = mark
        lines.append(f"{node.node_id:<{width}} |{''.join(cells)}| {node.status}")
    lines.append("# ran  x failed/retried/interrupted  ~ waiting  o cached")
    return ["```text", *lines, "```"]


def _node(node: NodeView) -> list[str]:
    head = f"### `{node.node_id}` ({node.kind}) — {node.status}"
    facts = [f"took {values.duration(node.duration_s)}"]
    if node.prompt_tokens or node.completion_tokens:
        facts.append(values.tokens(node.prompt_tokens, node.completion_tokens) + " tokens")
    if node.cost_usd:
        facts.append(values.usd(node.cost_usd))
    if node.models:
        facts.append("model " + ", ".join(node.models))
    if node.cached_from:
        facts.append(f"reused from {node.cached_from}")
    out = [head, "", " · ".join(facts), ""]
    if len(node.attempts) > 1 or any(a.error for a in node.attempts):
        out += ["| # | status | took | error | retry wait |", "|---|---|---|---|---|"]
        for a in node.attempts:
            error = f"[{a.error_class}] {a.error}" if a.error else ""
            wait = values.duration(a.retry_delay_s) if a.retry_delay_s is not None else ""
            out.append(
                f"| {a.attempt} | {a.status} | {values.duration(a.duration_s)} | "
                f"{_cell(error)} | {wait} |"
            )
        out.append("")
    for d in node.routing:
        chosen = f"`{d.chosen}` ({d.provider})" if d.chosen else "no model"
        trigger = f" (trigger: {d.trigger})" if d.trigger else ""
        out.append(f"- routing {d.phase}: {chosen} — {_cell(d.reason)}{trigger}")
        for c in d.candidates:
            if c.get("rejected"):
                out.append(f"  - rejected `{c.get('model')}`: {_cell(c['rejected'])}")
    for m in node.model_calls:
        where = "remote" if m.remote else "local"
        out.append(
            f"- model call {m.attempt}.{m.call}: `{m.model}` ({where}) {m.outcome}, "
            f"{values.tokens(m.prompt_tokens, m.completion_tokens)}, {values.usd(m.cost_usd)}"
        )
    if node.routing or node.model_calls:
        out.append("")
    for part in node.prompt:
        out += [f"Prompt ({part.role}):", *_fence(part.text), ""]
    for t in node.tool_calls:
        gate = f", approval rule {t.gate}" if t.gate else ""
        error = f": {t.error}" if t.error else ""
        out += [f"Tool call `{t.tool}` #{t.call_index} — {t.status}{gate}{error}", ""]
        out += ["Arguments:", *_fence(t.arguments), ""]
        if t.result:
            out += ["Result:", *_fence(t.result), ""]
    for ap in node.approvals:
        who = f" — {ap.decision} by {ap.decider}" if ap.decision else ""
        comment = f": “{ap.comment}”" if ap.comment else ""
        out += [f"Approval **{_cell(ap.title)}** ({ap.status}){who}{comment}", ""]
        if ap.diff:
            out += ["```diff", *ap.diff, "```", ""]
        else:
            out += ["Proposed:", *_fence(ap.proposed), ""]
    if node.outputs:
        out += ["Output:", *_fence(node.outputs), ""]
    for e in node.events:
        out.append(f"- event `{e.type}` #{e.seq}: {_cell(values.preview(e.data, 300).text)}")
    return out


def render_markdown(report: RunReport) -> str:
    t, g = report.totals, report.governance
    out = [
        f"## Run report: {report.workflow_name} — {report.status}",
        "",
        "| | |",
        "|---|---|",
        f"| Run | `{report.run_id}` |",
        f"| Workflow version | `{report.workflow_hash}` |",
        f"| Started | {values.timestamp(report.started_at)} |",
        f"| Finished | {values.timestamp(report.finished_at)} |",
        f"| Duration | {values.duration(t.duration_s)} |",
        f"| Tokens | {values.tokens(t.prompt_tokens, t.completion_tokens)} |",
        f"| Cost | {values.usd(t.cost_usd)} |",
        f"| Remote share | {values.percent(t.remote_share)} of tokens "
        f"({t.local_calls} local, {t.remote_calls} remote calls) |",
    ]
    if report.resumes:
        out.append(f"| Resumed | {report.resumes}x |")
    if report.parent_run_id:
        out.append(f"| Parent run | `{report.parent_run_id}` |")
    for child in report.children:
        out.append(f"| Child run {_cell(child.label)} | {child.status}: `{child.run_id}` |")
    if report.error:
        out.append(f"| Error | {_cell(report.error)} |")
    out.append("")
    if t.by_model:
        out += ["| Model | Where | Calls | Tokens | Cost |", "|---|---|---|---|---|"]
        for m in t.by_model:
            where = "remote" if m.remote else "local"
            tok = values.tokens(m.prompt_tokens, m.completion_tokens)
            out.append(f"| `{m.model}` | {where} | {m.calls} | {tok} | {values.usd(m.cost_usd)} |")
        out.append("")
    out += [
        "**Inputs**",
        "",
        *_fence(report.inputs),
        "",
        "**Outputs**",
        "",
        *_fence(report.outputs),
    ]
    out += ["", "### Timeline", "", *text_timeline(report), "", "### Nodes", ""]
    for node in report.nodes:
        out += _node(node)
        out.append("")
    used = ", ".join(f"`{k}` x{v}" for k, v in sorted(g.tools_used.items())) or "none"
    approvals = ", ".join(f"{k} {v}" for k, v in sorted(g.approvals.items())) or "none"
    out += [
        "### Governance",
        "",
        f"- Tools granted: {', '.join(f'`{x}`' for x in g.tools_granted) or 'none'}",
        f"- Tools used: {used}",
        f"- Refused calls: {len(g.refused)}",
    ]
    out += [f"  - `{c.tool}` in `{c.node_id}`: {_cell(c.error or '')}" for c in g.refused]
    out += [f"- Approvals: {approvals}", f"- Policy events: {len(g.policy_events)}"]
    if g.audit_head:
        state = "verified" if g.audit_chain_ok else "NOT verified"
        out.append(f"- Audit: {g.audit_entries} entries, head `{g.audit_head}` (chain {state})")
    else:
        out.append(
            f"- Audit: no entries for this run{f' ({g.audit_note})' if g.audit_note else ''}"
        )
    out += ["", "_Secrets redacted; long values shortened (the JSON export keeps them whole)._", ""]
    return "\n".join(out)
