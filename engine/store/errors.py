"""Errors the run store raises on purpose (never a raw driver traceback).

InterlockError                (engine.errors)
└── StoreError                the store cannot be opened, read or written
    └── DuplicateEventError   an event's (run_id, seq) is already stored
"""

from __future__ import annotations

from engine.errors import InterlockError


class StoreError(InterlockError):
    """The run store cannot be opened, read or written; the message says which file and why."""


class DuplicateEventError(StoreError):
    """An appended event repeats a (run_id, seq) already stored; nothing was written."""
