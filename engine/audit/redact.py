"""Secret redaction for audit entries and events: values under secret-looking keys, the
secrets this process knows (`engine.audit.secrets`), and token-shaped strings anywhere
(bearer/basic credentials, common API key formats, JWTs)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.audit.secrets import redact_known

REDACTED = "[redacted]"

_SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "authorization",
        "auth",
        "cookie",
        "credential",
        "credentials",
        "bearer",
        "session",
        "signature",
        "privatekey",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_TOKENS = re.compile(
    r"(?i)\b(?:bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}"
    r"|\bsk-[A-Za-z0-9_-]{16,}"
    r"|\b(?:ghp|gho|ghs|ghu|github_pat|glpat|xox[abprs])[-_][A-Za-z0-9_-]{10,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
)
MAX_DEPTH = 32


def secret_key(name: str) -> bool:
    """Whether a mapping key names a secret: `api_key`, `X-Auth-Token`, `clientSecret`."""
    words = [w.lower() for w in _WORD.findall(name)]
    joined = "".join(words)
    return any(w in _SECRET_WORDS for w in words) or joined in _SECRET_WORDS


def redact_text(text: str) -> str:
    """`text` with token-shaped substrings replaced (and lone surrogates escaped, so the
    result always encodes as UTF-8)."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _TOKENS.sub(REDACTED, redact_known(text))


def redact(value: Any, _depth: int = 0) -> Any:
    """A JSON-able copy of `value` with secrets replaced by `REDACTED`."""
    if _depth > MAX_DEPTH:
        return REDACTED
    if isinstance(value, Mapping):
        return {
            redact_text(str(k)): REDACTED if secret_key(str(k)) else redact(v, _depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, _depth + 1) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return redact_text(repr(value))
