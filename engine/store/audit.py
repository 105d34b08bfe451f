"""Audit trail storage shared by the store backends: entries as `audit_log` rows and back.
Backends seal entries onto the chain (`engine.audit.chain.seal`) inside their write lock."""

from __future__ import annotations

from typing import Any

from engine.audit.chain import AuditEntry, UnreadableEntry
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
    """The entry of a row; a row that cannot be decoded gives an `UnreadableEntry`, which
    verification reports as broken instead of failing to read the whole trail."""
    try:
        return _decoded(row)
    except (ValueError, TypeError, KeyError) as exc:
        seq = row.get("seq") if hasattr(row, "get") else None
        return UnreadableEntry(
            action="unreadable",
            outcome="unreadable",
            seq=seq if isinstance(seq, int) else 0,
            hash=str(row.get("hash") or "") if hasattr(row, "get") else "",
            problem=f"{type(exc).__name__}: {exc}",
        )


def _decoded(row: RowLike) -> AuditEntry:
    entry = AuditEntry(
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
    if not isinstance(entry.arguments, dict) or not isinstance(entry.detail, dict):
        raise TypeError("arguments and detail must be JSON objects")
    return entry
