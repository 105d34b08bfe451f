"""The JSON Schema of the run export (`format: interlock-run`, `version: 1`); committed as
`resources/schema/run-export.schema.json` (a test keeps the two identical)."""

from __future__ import annotations

from typing import Any

EXPORT_FORMAT = "interlock-run"
EXPORT_VERSION = 1
SCHEMA_ID = "https://interlock.local/schema/run-export.schema.json"

_NUM = {"type": "number"}
_OPT_NUM = {"type": ["number", "null"]}
_STR = {"type": "string"}
_OPT_STR = {"type": ["string", "null"]}
_OBJ = {"type": "object"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
    }


def run_export_schema() -> dict[str, Any]:
    event = _object(
        {
            "seq": {"type": "integer", "minimum": 1},
            "ts": _NUM,
            "type": {**_STR, "description": "Event type tag (unknown types are kept as is)."},
            "node_id": _OPT_STR,
            "data": {**_OBJ, "description": "The event's own fields, redacted."},
        }
    )
    event["additionalProperties"] = False
    approval = _object(
        {
            "request_id": _STR,
            "status": {"enum": ["pending", "approved", "rejected", "expired"]},
            "request": _object({"run_id": _STR, "node_id": _STR, "key": _STR}),
            "decision": {
                "oneOf": [
                    {"type": "null"},
                    _object({"decision": {"enum": ["approve", "reject", "edit"]}, "decider": _STR}),
                ]
            },
        }
    )
    run = _object(
        {
            "run_id": {**_STR, "minLength": 1},
            "workflow_name": _STR,
            "workflow_hash": _STR,
            "status": _STR,
            "started_at": _NUM,
            "finished_at": _OPT_NUM,
            "inputs": _OBJ,
            "outputs": _OBJ,
            "error": _OPT_STR,
            "prompt_tokens": {"type": "integer"},
            "completion_tokens": {"type": "integer"},
            "cost_usd": _NUM,
        },
        {
            "workflow_path": _OPT_STR,
            "parent_run_id": _OPT_STR,
            "children": {
                "type": "array",
                "items": _object({"run_id": _STR, "label": _STR, "status": _STR}, {}),
            },
        },
    )
    workflow = {
        "oneOf": [
            {"type": "null"},
            _object(
                {"hash": _STR, "name": _STR, "content": {**_STR, "description": "YAML as run."}},
                {"path": _OPT_STR},
            ),
        ]
    }
    audit = _object(
        {
            "head": {**_OPT_STR, "description": "Hash of the run's last audit entry."},
            "chain_ok": {"type": ["boolean", "null"]},
            "entries": {
                "type": "array",
                "items": _object({"seq": {"type": "integer"}, "hash": _STR, "action": _STR}),
            },
        }
    )
    schema = _object(
        {
            "format": {"const": EXPORT_FORMAT},
            "version": {"const": EXPORT_VERSION},
            "exported_at": _NUM,
            "interlock_version": _STR,
            "redacted": {"type": "boolean"},
            "run": run,
            "workflow": workflow,
            "events": {"type": "array", "items": event},
            "attempts": {
                "type": "array",
                "items": _object({"node_id": _STR, "attempt": {"type": "integer"}, "status": _STR}),
            },
            "approvals": {"type": "array", "items": approval},
            "audit": audit,
        }
    )
    schema["additionalProperties"] = False
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Interlock run export",
        "description": "One run as exported by `interlock report --format json`, read back by "
        "`interlock import-run`. Secrets are redacted.",
        **schema,
    }
