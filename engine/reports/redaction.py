"""Redaction for reports and exports: every value a report shows or exports passes through
`scrub`, which is the audit trail's one redaction function (`engine.audit.redact`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.audit.redact import REDACTED, redact, redact_text

IDENTIFIERS = frozenset(
    {"request_id", "cache_key", "idempotency_key", "key", "workflow_hash", "hash", "prev_hash"}
)
"""Top-level fields that are digests or ids, not secrets, although their names say "key":
only token-shaped text inside them is redacted (imports recompute request ids from `key`)."""

__all__ = ["IDENTIFIERS", "REDACTED", "scrub", "scrub_fields", "scrub_text"]


def scrub(value: Any) -> Any:
    """A JSON-able copy of `value` with secret-named keys and token-shaped text replaced."""
    return redact(value)


def scrub_text(text: str | None) -> str | None:
    return None if text is None else redact_text(text)


def scrub_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Redact a record's fields, keeping identifier fields (`IDENTIFIERS`) readable."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in IDENTIFIERS:
            out[name] = redact(value)
        else:
            out.update(redact({name: value}))
    return out
