"""Opening a SQLite run store file: the engine and its pragmas, and bringing the schema to
the newest alembic revision (skipped with one plain query when already there).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

from engine.store import migrations
from engine.store.errors import StoreError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(migrations.__file__).parent
BEGIN_OPTION = "interlock_begin"
"""Execution option naming the BEGIN mode of a connection's transactions; writers use
IMMEDIATE so they take the write lock up front (no deadlock-prone lock upgrades)."""


def create_sqlite_engine(path: Path, busy_timeout_s: float) -> Engine:
    """An engine whose connections run WAL, synchronous=NORMAL, foreign keys and a busy
    timeout, with BEGIN under our control (the SQLAlchemy + pysqlite recipe)."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": busy_timeout_s},
    )
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite must not emit BEGIN/COMMIT itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("run store %s: journal_mode is %s, not wal", path, mode)
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _probe(connection: Connection) -> tuple[set[str], str | None]:
    """(names of the user tables, alembic revision or None) of the open database."""
    names = {
        str(row[0])
        for row in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    version = None
    if "alembic_version" in names:
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        version = str(row[0]) if row is not None else None
    return names, version


def _check_ours(path: Path, names: set[str], version: str | None) -> None:
    if version is None and names - {"alembic_version"}:
        raise StoreError(
            f"{path} is a SQLite database but not an Interlock run store "
            f"(it has tables {sorted(names)} and no schema revision)"
        )


def ensure_schema(engine: Engine, path: Path) -> None:
    """Upgrade the database to `migrations.HEAD` unless it is there already."""
    with engine.connect() as connection:
        names, version = _probe(connection)
        connection.rollback()
    if version == migrations.HEAD:
        return
    _check_ours(path, names, version)
    with engine.connect() as connection:
        connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            names, version = _probe(connection)  # again, now holding the write lock
            if version == migrations.HEAD:
                return
            _check_ours(path, names, version)
            _upgrade(connection, path, version)


def _upgrade(connection: Connection, path: Path, version: str | None) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    if version is not None:
        try:
            known = ScriptDirectory.from_config(config).get_revision(version) is not None
        except CommandError:
            known = False
        if not known:
            raise StoreError(
                f"{path} has schema revision {version!r}, which this Interlock does not know "
                "(was it written by a newer version?)"
            )
    log.info("run store %s: migrating schema from %s to %s", path, version, migrations.HEAD)
    command.upgrade(config, "head")
