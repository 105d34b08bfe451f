"""Audit entries and their hash chain: each entry stores the previous entry's hash and its
own SHA-256 over canonical JSON of everything else, so edits, deletions and reordering
break the chain; truncation of the tail shows against an anchored head (`expect_head`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
"""The `prev_hash` of the first entry."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what, with which arguments (secrets redacted), and how it ended."""

    action: str
    """tool_call, tool_refused, approval_gate, ..."""
    outcome: str
    """ok, refused, error, approved, rejected, unavailable."""
    run_id: str | None = None
    node_id: str | None = None
    tool: str | None = None
    model: str | None = None
    user: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    """Already redacted (see `redact`)."""
    detail: dict[str, Any] = field(default_factory=dict)
    """Reason, rule, idempotency key, result digest: never raw results."""
    ts: float = field(default_factory=time.time)
    seq: int = 0
    """Position in the chain, from 1; set by the store when appended."""
    prev_hash: str = ""
    hash: str = ""

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditEntry:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True, slots=True)
class UnreadableEntry(AuditEntry):
    """A stored entry that could not be decoded (corrupted JSON, wrong types): it never
    verifies, so the trail is reported broken at its position."""

    problem: str = ""


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over every field but `hash` (so it covers `seq` and `prev_hash`)."""
    content = entry.to_json()
    del content["hash"]
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def seal(entry: AuditEntry, seq: int, prev_hash: str) -> AuditEntry:
    """The entry placed at `seq` after an entry whose hash is `prev_hash`."""
    placed = dataclasses.replace(entry, seq=seq, prev_hash=prev_hash, hash="")
    return dataclasses.replace(placed, hash=entry_hash(placed))


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    head: str
    """Hash of the last entry checked (GENESIS for an empty trail)."""
    first_bad_seq: int | None = None
    """The first entry (by position, counted from 1) that does not verify."""
    reason: str = ""


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    expect_head: str | None = None,
    expect_count: int | None = None,
) -> ChainReport:
    """Recompute the chain; report the first entry whose position, link or hash is wrong.

    An anchor from an earlier export (`expect_count` entries ending in `expect_head`)
    catches a trail cut short at the end, which otherwise verifies as a prefix of itself.
    Either part of the anchor may be given alone.
    """
    prev, checked = GENESIS, 0
    anchored = expect_head is None
    for position, entry in enumerate(entries, start=1):
        bad = _check(entry, position, prev)
        if bad:
            return ChainReport(False, checked, prev, position, bad)
        prev, checked = entry.hash, position
        if expect_head is not None and entry.hash == expect_head:
            anchored = expect_count is None or position == expect_count
    if expect_count is not None and checked < expect_count:
        return ChainReport(
            False,
            checked,
            prev,
            checked + 1,
            f"trail ends after {checked} entries; the anchor has {expect_count}",
        )
    if not anchored:
        return ChainReport(
            False,
            checked,
            prev,
            expect_count or checked + 1,
            "the anchored head hash is not in the trail",
        )
    return ChainReport(True, checked, prev)


def _check(entry: AuditEntry, position: int, prev: str) -> str:
    if isinstance(entry, UnreadableEntry):
        return f"the entry cannot be read ({entry.problem})"
    if entry.seq != position:
        return f"expected seq {position}, found {entry.seq} (entries missing or reordered)"
    if entry.prev_hash != prev:
        return "prev_hash does not link to the entry before it"
    if entry_hash(entry) != entry.hash:
        return "content does not match its hash"
    return ""
