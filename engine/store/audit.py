"""Audit trail storage shared by the store backends: entries as `audit_log` rows and back.
Backends seal entries onto the chain (`engine.audit.chain.seal`) inside their write lock."""

from __future__ import annotations

from typing import Any

from engine.audit.chain import AuditEntry
from engine.store.rows import RowLike, dump_json, load_json


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "ts": entry.ts,
        "run_id": entry.run_id,
        "node_id": entry.node_id,
        "tool": entry.tool,
        "model": entry.model,
        "user": entry.user,
        "action": entry.action,
        "outcome": entry.outcome,
        "arguments_json": dump_json(entry.arguments),
        "detail_json": dump_json(entry.detail),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def audit_entry(row: RowLike) -> AuditEntry:
    return AuditEntry(
        action=row["action"],
        outcome=row["outcome"],
        run_id=row["run_id"],
        node_id=row["node_id"],
        tool=row["tool"],
        model=row["model"],
        user=row["user"],
        arguments=load_json(row["arguments_json"]),
        detail=load_json(row["detail_json"]),
        ts=row["ts"],
        seq=row["seq"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
