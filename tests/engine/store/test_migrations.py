"""The alembic migrations: they build exactly the SQLModel schema, `HEAD` names the newest
revision, and opening a store already at head never loads alembic."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from engine.store import SqliteRunStore, migrations
from engine.store.schema import MIGRATIONS_DIR
from engine.store.tables import METADATA

REPO = Path(__file__).resolve().parents[3]


def test_upgraded_schema_matches_the_tables(tmp_path: Path) -> None:
    SqliteRunStore(tmp_path / "s.db").close()
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, METADATA) == []
    engine.dispose()


def test_composite_key_tables_are_clustered(tmp_path: Path) -> None:
    SqliteRunStore(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    sql = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    db.close()
    assert "WITHOUT ROWID" in sql["events"] and "WITHOUT ROWID" in sql["node_attempts"]
    assert "WITHOUT ROWID" not in sql["runs"]


def test_head_constant_names_the_newest_revision() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_heads() == [migrations.HEAD]


def test_migration_scripts_are_package_files() -> None:
    assert (MIGRATIONS_DIR / "__init__.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "__init__.py").is_file()
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()


@pytest.mark.slow
def test_opening_a_store_at_head_does_not_import_alembic(tmp_path: Path) -> None:
    SqliteRunStore(tmp_path / "s.db").close()
    code = """
        import sys
        from engine.store import SqliteRunStore
        SqliteRunStore(sys.argv[1]).close()
        print(sorted(m for m in sys.modules if m.split(".")[0] == "alembic"))
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), str(tmp_path / "s.db")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_empty_file_is_initialised(tmp_path: Path) -> None:
    (tmp_path / "s.db").touch()
    SqliteRunStore(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(migrations.HEAD,)]
    db.close()
