"""How report values are shown: previews truncated with their size, durations, times,
money and token counts — shared by every human-readable format."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from engine import jsontext

PREVIEW_CHARS = 1200
"""Characters of a value shown before it is cut (the JSON export keeps everything)."""


@dataclass(frozen=True, slots=True)
class Preview:
    text: str
    size: int
    """Characters of the whole value as text."""
    truncated: bool

    @property
    def note(self) -> str:
        return f"… truncated, {human_size(self.size)} in all" if self.truncated else ""


def as_text(value: Any) -> str:
    """Strings as they are; everything else as pretty JSON."""
    if isinstance(value, str):
        return value
    return jsontext.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=repr)


def preview(value: Any, limit: int = PREVIEW_CHARS) -> Preview:
    text = as_text(value)
    if len(text) <= limit:
        return Preview(text, len(text), False)
    return Preview(text[:limit].rstrip() + " …", len(text), True)


def shown(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """A preview as one string, with the truncation note appended."""
    p = preview(value, limit)
    return f"{p.text}\n[{p.note}]" if p.truncated else p.text


def human_size(chars: int) -> str:
    if chars < 1024:
        return f"{chars} chars"
    if chars < 1024 * 1024:
        return f"{chars / 1024:.1f} K chars"
    return f"{chars / 1024 / 1024:.1f} M chars"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 120:
        return f"{minutes:.0f} min {secs:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours:.0f} h {minutes:.0f} min"


def timestamp(ts: float | None) -> str:
    """UTC, so a report reads the same wherever it is opened."""
    if ts is None:
        return "-"
    whole = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))
    return f"{whole}.{int((ts % 1) * 1000):03d} UTC"


def usd(amount: float) -> str:
    if amount == 0:
        return "$0"
    return f"${amount:.4f}" if amount < 1 else f"${amount:,.2f}"


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def tokens(prompt: int, completion: int) -> str:
    return f"{prompt:,} in / {completion:,} out"
