"""The secrets this process knows (endpoint API keys read from the keyring or the
environment, tool credentials) and their removal from any text before it is written or
printed: the whole secret, any fragment of 8 or more characters, and its base64 and
URL-encoded forms."""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
FRAGMENT = 8
"""Shortest run of a secret's characters that is redacted on its own."""
MIN_SECRET = 8
"""Shorter values are not registered: their fragments would match ordinary words."""

_lock = threading.Lock()
_secrets: set[str] = set()
_forms: dict[str, list[tuple[str, int]]] = {}
"""Each FRAGMENT-long piece of a secret's forms -> (form, offset) pairs it occurs at."""
_pattern: re.Pattern[str] | None = None


def register_secret(secret: str | None) -> None:
    """Remember `secret` so `redact_known` removes it from everything from now on."""
    global _pattern
    if not secret or len(secret) < MIN_SECRET or secret in _secrets:
        return
    with _lock:
        _secrets.add(secret)
        for form in _encoded_forms(secret):
            for i in range(len(form) - FRAGMENT + 1):
                _forms.setdefault(form[i : i + FRAGMENT], []).append((form, i))
        pieces = sorted(_forms, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(p) for p in pieces))


def forget_secrets() -> None:
    """Drop every registered secret (tests)."""
    global _pattern
    with _lock:
        _secrets.clear()
        _forms.clear()
        _pattern = None


def _encoded_forms(secret: str) -> list[str]:
    """The secret as written, URL-encoded, and the parts of its base64 encodings (standard
    and URL-safe, at each of the three byte alignments) that depend on it alone."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    raw = secret.encode("utf-8")
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        core = encoded[4 if shift else 0 : len(encoded) - 4]  # the edges mix in neighbours
        if len(core) >= FRAGMENT:
            forms.add(core)
            forms.add(core.replace("+", "-").replace("/", "_"))
    return [f for f in forms if len(f) >= FRAGMENT]


def redact_known(text: str) -> str:
    """`text` with every registered secret, and every fragment or encoding of one, replaced
    by `REDACTED`."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    spans: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        start, end = match.start(), _extend(text, match.group(), match.end())
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(REDACTED)
        last = end
    out.append(text[last:])
    return "".join(out)


def _extend(text: str, piece: str, end: int) -> int:
    """How far the secret a matched piece belongs to continues in `text` past `end`."""
    best = end
    for form, offset in _forms.get(piece, ()):
        rest = form[offset + FRAGMENT :]
        n = 0
        while n < len(rest) and end + n < len(text) and text[end + n] == rest[n]:
            n += 1
        best = max(best, end + n)
    return best
