"""Rows of the run store as plain dicts (JSON as text) and their conversion to the
protocol's records; shared by every backend so they all read rows the same way."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from engine.audit.secrets import redact_known
from engine.store.errors import StoreError
from engine.store.protocol import AttemptRecord, RunRecord, WorkflowVersion

Row = dict[str, Any]
"""A row as written: column name -> value, JSON columns (`*_json`) already text."""
RowLike = Mapping[Any, Any]
"""A stored row: a `Row` or a SQLAlchemy `RowMapping`."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Built once: `json.dumps` with options builds a new encoder on every call."""


_ASCII_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


def dump_json(value: Any) -> str:
    """JSON text for a column, known secrets redacted (`engine.audit.secrets`); text holding
    a lone surrogate (which UTF-8 cannot store) is kept exactly, as `\\udXXX` escapes."""
    try:
        text = _ENCODER.encode(value)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                text = _ASCII_ENCODER.encode(value)
        return redact_known(text)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"value is not JSON-serializable: {exc}") from exc


def load_json(text: str | None) -> Any:
    return json.loads(text) if text else {}


def run_record(row: RowLike) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        workflow_hash=row["workflow_hash"],
        workflow_name=row["workflow_name"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        inputs=load_json(row["inputs_json"]),
        outputs=load_json(row["outputs_json"]),
        error=row["error"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        cost_usd=row["cost_usd"],
        parent_run_id=row["parent_run_id"],
        workflow_path=row["workflow_path"],
    )


def attempt_record(row: RowLike) -> AttemptRecord:
    return AttemptRecord(
        run_id=row["run_id"],
        node_id=row["node_id"],
        attempt=row["attempt"],
        status=row["status"],
        kind=row["kind"],
        inputs=load_json(row["inputs_json"]),
        outputs=load_json(row["outputs_json"]),
        error=row["error"],
        error_class=row["error_class"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        model=row["model"],
        provider=row["provider"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        cost_usd=row["cost_usd"],
        fallback=bool(row["fallback"]),
    )


def attempt_order(row: RowLike) -> tuple[float, str, int]:
    """Sort key of `attempts()`: by start (missing first, as SQLite orders NULL), node, attempt."""
    started = row["started_at"]
    return (-math.inf if started is None else started, row["node_id"], row["attempt"])


def run_order(row: RowLike) -> tuple[float, str]:
    """Sort key of `list_runs()` (used descending): by start, then run id."""
    return (row["started_at"], row["run_id"])


def workflow_row(version: WorkflowVersion, created_at: float) -> Row:
    return {
        "hash": version.hash,
        "name": version.name,
        "content": version.content,
        "path": version.path,
        "created_at": created_at,
    }


def workflow_version(row: RowLike) -> WorkflowVersion:
    return WorkflowVersion(
        hash=row["hash"],
        name=row["name"],
        content=row["content"],
        path=row["path"],
    )


def cache_outputs(row: RowLike) -> dict[str, Any]:
    outputs: dict[str, Any] = load_json(row["outputs_json"])
    return outputs


def cache_row(
    key: str, node_kind: str, outputs: dict[str, Any], created_at: float, run_id: str | None
) -> Row:
    return {
        "key": key,
        "node_kind": node_kind,
        "outputs_json": dump_json(outputs),
        "created_at": created_at,
        "hits": 0,
        "run_id": run_id,
    }
