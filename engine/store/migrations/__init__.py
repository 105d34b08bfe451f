"""Alembic migrations of the run store schema, run programmatically by `schema.py`.

`HEAD` must name the newest revision in `versions/` (a test checks it); the store compares
it with the database's `alembic_version` row to skip alembic entirely when up to date.
"""

from __future__ import annotations

HEAD = "0006"
