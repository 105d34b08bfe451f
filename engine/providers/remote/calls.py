"""The per-call context a router hands to providers without widening the Provider protocol:
data sensitivity, offline switch, deadline, and a reporter for retries and waits."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

OFFLINE_ENV = "INTERLOCK_OFFLINE"
LOCAL_ONLY = frozenset({"confidential", "local_only"})
"""Sensitivities whose data never leaves this machine."""

Reporter = Callable[[str, dict[str, Any]], None]
"""report(kind, details) — e.g. ("retry", {...}) or ("rate_limited", {...})."""


def offline_switch() -> bool:
    """The global offline switch: `INTERLOCK_OFFLINE=1`."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class CallContext:
    sensitivity: str = "internal"
    offline: bool = False
    deadline_s: float | None = None
    """Time budget for the whole call, retries and waits included."""
    report: Reporter | None = None


_current: ContextVar[CallContext | None] = ContextVar("interlock_call", default=None)


def current_call() -> CallContext:
    return _current.get() or CallContext()


@contextmanager
def call_context(ctx: CallContext) -> Iterator[CallContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
