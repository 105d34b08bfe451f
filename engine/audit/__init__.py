"""The tamper-evident audit trail: entries, secret redaction, the hash chain and its check.

Entries are appended through the run store (`RunStore.append_audit`), which seals each one
onto the chain inside its write transaction.
"""

from __future__ import annotations

from engine.audit.chain import (
    GENESIS,
    AuditEntry,
    ChainReport,
    canonical_json,
    entry_hash,
    seal,
    verify_chain,
)
from engine.audit.redact import REDACTED, redact, redact_text

__all__ = [
    "GENESIS",
    "REDACTED",
    "AuditEntry",
    "ChainReport",
    "canonical_json",
    "entry_hash",
    "redact",
    "redact_text",
    "seal",
    "verify_chain",
]
