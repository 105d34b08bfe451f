"""The JSON run export (`format: interlock-run`, `version: 1`, schema in `schema.py`) and its
import into another database through the store's own APIs (events re-derive every row).

Exports are redacted like every report (secret-named keys and token-shaped text); identifier
fields stay readable so approvals keep their request ids. Importing a run id the database
already holds is refused: a run's event log is append-only and must not be merged.
"""

from __future__ import annotations

import getpass
import logging
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import jsonschema

from engine import jsontext
from engine.approvals.model import ApprovalDecision, ApprovalRequest
from engine.audit.chain import AuditEntry
from engine.reports.build import ReportError
from engine.reports.model import RunReport
from engine.reports.schema import EXPORT_FORMAT, EXPORT_VERSION, run_export_schema
from engine.store.protocol import RunStore, WorkflowVersion
from engine.trace.events import RunStarted, from_record

log = logging.getLogger(__name__)


def interlock_version() -> str:
    try:
        return version("interlock")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def export_run(report: RunReport) -> dict[str, Any]:
    """The complete run as a JSON-able dict (every event, attempt, approval, the workflow)."""
    t, g, src = report.totals, report.governance, report.source
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": report.generated_at,
        "interlock_version": interlock_version(),
        "redacted": True,
        "run": {
            "run_id": report.run_id,
            "workflow_name": report.workflow_name,
            "workflow_hash": report.workflow_hash,
            "workflow_path": report.workflow_path,
            "parent_run_id": report.parent_run_id,
            "children": [
                {"run_id": c.run_id, "label": c.label, "status": c.status} for c in report.children
            ],
            "status": report.status,
            "started_at": report.started_at,
            "finished_at": report.finished_at,
            "inputs": report.inputs,
            "outputs": report.outputs,
            "error": report.error,
            "prompt_tokens": t.prompt_tokens,
            "completion_tokens": t.completion_tokens,
            "cost_usd": t.cost_usd,
        },
        "workflow": src.workflow,
        "events": src.events,
        "attempts": src.attempts,
        "approvals": src.approvals,
        "audit": {"head": g.audit_head, "chain_ok": g.audit_chain_ok, "entries": src.audit},
    }


def render_json(report: RunReport) -> str:
    return jsontext.dumps(export_run(report), indent=2, ensure_ascii=False, default=repr) + "\n"


def check_export(data: Any) -> None:
    """Raise ReportError unless `data` is a run export this version reads."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ReportError(f"not an Interlock run export (expected format {EXPORT_FORMAT!r})")
    if data.get("version") != EXPORT_VERSION:
        raise ReportError(
            f"run export version {data.get('version')!r} is not supported "
            f"(this Interlock reads version {EXPORT_VERSION})"
        )
    errors = sorted(
        jsonschema.Draft202012Validator(run_export_schema()).iter_errors(data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top)"
        raise ReportError(f"invalid run export at {where}: {first.message}")


def import_run(store: RunStore, data: Any) -> str:
    """Load an export into `store`; returns the run id. Refuses a run id already present."""
    check_export(data)
    run_id: str = data["run"]["run_id"]
    if store.get_run(run_id) is not None:
        raise ReportError(
            f"run {run_id} is already in this database; importing it twice is refused"
        )
    workflow = data.get("workflow")
    if workflow is not None and store.get_workflow(workflow["hash"]) is None:
        store.save_workflow(
            WorkflowVersion(
                workflow["hash"], workflow["name"], workflow["content"], workflow.get("path")
            )
        )
    store.append_events(
        [from_record(_marked({"run_id": run_id, **e}, data)) for e in data["events"]]
    )
    for item in data["approvals"]:
        record = store.put_approval(ApprovalRequest.from_json(item["request"]))
        if record.request_id != item["request_id"]:
            log.warning("approval %s imported as %s", item["request_id"], record.request_id)
        if item.get("decision") and record.decision is None:
            store.decide_approval(record.request_id, ApprovalDecision.from_json(item["decision"]))
    appender = getattr(store, "append_audit", None)
    if appender is not None:
        audit = data["audit"]
        appender(
            AuditEntry(
                action="run_imported",
                outcome="ok",
                run_id=run_id,
                user=_user(),
                detail={
                    "source_audit_head": audit.get("head"),
                    "source_audit_entries": len(audit.get("entries") or []),
                    "events": len(data["events"]),
                    "exported_at": data.get("exported_at"),
                },
            )
        )
    return run_id


def _marked(record: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The run_started event of an imported run says so (whatever the export claimed)."""
    if record.get("type") != "run_started":
        return record
    mark = {"exported_at": data.get("exported_at"), "imported_at": time.time(), "by": _user()}
    return {**record, "data": {**(record.get("data") or {}), "imported": mark}}


def imported(store: RunStore, run_id: str) -> dict[str, Any] | None:
    """The import mark of `run_id` (see `RunStarted.imported`), None for a run made here."""
    started = next((e for e in store.events(run_id) if isinstance(e, RunStarted)), None)
    return started.imported if started is not None else None


def refuse_imported(store: RunStore, run_id: str, action: str) -> str | None:
    """Why `action` (resume, re-run from a node) is refused for an imported run, or None."""
    mark = imported(store, run_id)
    if mark is None:
        return None
    return (
        f"run {run_id} was imported from an export ({mark.get('exported_at') or 'unknown date'}); "
        f"an imported run is a record to read and compare and cannot be {action}. To run its "
        "workflow, save it from the report, check what it is granted, and run that file"
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
