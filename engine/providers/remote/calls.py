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
    """The process's offline setting, `INTERLOCK_OFFLINE=1`: read when a run starts (it
    becomes part of the run's policy) and for calls outside any run."""
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
    """The call in progress; outside a run (a connection test), the process's switch."""
    return _current.get() or CallContext(offline=offline_switch())


@contextmanager
def call_context(ctx: CallContext) -> Iterator[CallContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
