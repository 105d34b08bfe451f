"""What an `http_request` response status means: which statuses a call accepts
(`accept_status`), the error class of the rest (5xx and 429 transient, others `http`), the
server's Retry-After hint, and an error message that names the status but no secrets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from engine.tools.errors import ToolError

DEFAULT_ACCEPT: tuple[str, ...] = ("2xx",)
STATUS_RULE = r"^[1-5]([0-9]{2}|xx)$"
"""An accept_status entry given as text: one status (404) or a class of them (4xx)."""
BODY_CHARS = 300


def accepts(rules: Sequence[int | str], status: int) -> bool:
    """Whether `status` matches any rule: a code (404, "404") or a class ("2xx")."""
    for rule in rules:
        text = str(rule).strip().lower()
        if text.endswith("xx") and text[:1] == str(status // 100):
            return True
        if text == str(status):
            return True
    return False


def error_class(status: int) -> str:
    """transient for 5xx and 429 (a retry may succeed); http for any other status."""
    return "transient" if status >= 500 or status == 429 else "http"


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def shown_url(url: httpx.URL) -> str:
    """The URL as an error may show it: query values and the fragment left out."""
    keys = list(dict.fromkeys(url.params.keys()))
    query = "?" + "&".join(f"{key}=…" for key in keys) if keys else ""
    return str(url.copy_with(query=None, fragment=None)) + query


def status_error(
    method: str, url: httpx.URL, response: httpx.Response, body: str, accept: Sequence[int | str]
) -> ToolError:
    """The error for a response whose status `accept` does not include."""
    status = response.status_code
    excerpt = " ".join(body.split())
    if len(excerpt) > BODY_CHARS:
        excerpt = excerpt[:BODY_CHARS] + "…"
    accepted = ", ".join(str(rule) for rule in accept)
    message = (
        f"HTTP {status} {response.reason_phrase} from {method} {shown_url(url)} "
        f"(accept_status: {accepted})" + (f": {excerpt}" if excerpt else "")
    )
    cls = error_class(status)
    hint = retry_after_s(response.headers.get("retry-after")) if cls == "transient" else None
    return ToolError(message, error_class=cls, retry_after_s=hint)
