"""Run persistence: the `RunStore` protocol, its SQLite and memory backends, and where
the default database lives."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from engine.store.errors import DuplicateEventError, StoreError
from engine.store.memory import MemoryRunStore
from engine.store.protocol import AttemptRecord, RunRecord, RunStore, WorkflowVersion

if TYPE_CHECKING:
    from engine.store.sqlite import SqliteRunStore

log = logging.getLogger(__name__)

DB_ENV = "INTERLOCK_DB"
"""Environment variable naming the database file (overrides everything else)."""
DATA_DIR_ENV = "INTERLOCK_DATA_DIR"
"""The app data dir override, shared with `local_models.paths` (not imported: the store
must not load the model stack)."""
MEMORY = ":memory:"


def default_db_path() -> Path:
    """`$INTERLOCK_DB` if set, else `interlock.db` in the app data dir (`$INTERLOCK_DATA_DIR`
    or `platformdirs.user_data_dir("Interlock")`); parent folders are created."""
    if override := os.environ.get(DB_ENV):
        path = Path(override).expanduser()
    elif data_dir := os.environ.get(DATA_DIR_ENV):
        path = Path(data_dir).expanduser() / "interlock.db"
    else:
        path = Path(platformdirs.user_data_dir("Interlock", appauthor=False)) / "interlock.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def open_store(path: str | Path | None = None) -> RunStore:
    """The run store at `path` (default: `default_db_path()`); ":memory:" gives a
    `MemoryRunStore`. Raises StoreError if the file cannot be used."""
    if path is None:
        path = default_db_path()
    if str(path) == MEMORY:
        return MemoryRunStore()
    from engine.store.sqlite import SqliteRunStore

    return SqliteRunStore(path)


__all__ = [
    "DATA_DIR_ENV",
    "DB_ENV",
    "MEMORY",
    "AttemptRecord",
    "DuplicateEventError",
    "MemoryRunStore",
    "RunRecord",
    "RunStore",
    "SqliteRunStore",
    "StoreError",
    "WorkflowVersion",
    "default_db_path",
    "open_store",
]


def __getattr__(name: str) -> Any:
    # The SQLite backend (SQLAlchemy, alembic) loads on first use, not with the package.
    if name == "SqliteRunStore":
        from engine.store.sqlite import SqliteRunStore

        return SqliteRunStore
    raise AttributeError(f"module 'engine.store' has no attribute {name!r}")
