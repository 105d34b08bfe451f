"""Strict JSON text for what the engine exports and prints: a number JSON cannot hold
(NaN, ±Infinity, an integer too long to print) becomes a string, a value nested too deeply
is cut, and text with a lone surrogate gets U+FFFD in its place, so any reader parses it."""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 200
"""Deeper lists and objects are replaced by a note (json's encoder would recurse out)."""
_MAX_INT_BITS = 14_000
"""About 4,200 digits: Python refuses to print longer integers."""
_NAMES = {math.inf: "Infinity", -math.inf: "-Infinity"}


def strict(value: Any, depth: int = 0) -> Any:
    """`value` with everything strict JSON cannot hold replaced (see the module doc)."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _NAMES.get(value, "NaN")
    if isinstance(value, int):
        if value.bit_length() <= _MAX_INT_BITS:
            return value
        return f"<an integer of about {int(value.bit_length() * math.log10(2)):,} digits>"
    if isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            return f"<nested deeper than {MAX_DEPTH} levels>"
        if isinstance(value, dict):
            return {_key(k): strict(v, depth + 1) for k, v in value.items()}
        return [strict(v, depth + 1) for v in value]
    return value


def _key(key: Any) -> Any:
    return _text(key) if isinstance(key, str) else key


def _text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


def dumps(value: Any, **options: Any) -> str:
    """`json.dumps` of `strict(value)` that never writes NaN or Infinity."""
    return json.dumps(strict(value), allow_nan=False, **options)
