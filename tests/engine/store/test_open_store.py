"""Where the default database lives, `open_store`, and the package's declared surface."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

import engine.store
from engine.store import (
    DATA_DIR_ENV,
    DB_ENV,
    MemoryRunStore,
    SqliteRunStore,
    default_db_path,
    open_store,
)


def test_default_db_path_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "mine.db"
    monkeypatch.setenv(DB_ENV, str(target))
    assert default_db_path() == target
    assert target.parent.is_dir()


def test_default_db_path_uses_data_dir_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "portable"))
    assert default_db_path() == tmp_path / "portable" / "interlock.db"
    assert (tmp_path / "portable").is_dir()


def test_default_db_path_uses_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    seen: list[str] = []

    def fake_user_data_dir(appname: str, appauthor: object = None) -> str:
        seen.append(appname)
        return str(tmp_path / "data" / appname)

    monkeypatch.setattr(platformdirs, "user_data_dir", fake_user_data_dir)
    assert default_db_path() == tmp_path / "data" / "Interlock" / "interlock.db"
    assert seen == ["Interlock"]
    assert (tmp_path / "data" / "Interlock").is_dir()


def test_database_lives_in_the_same_data_dir_as_local_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import local_models.paths

    monkeypatch.delenv(DB_ENV, raising=False)
    assert DATA_DIR_ENV == local_models.paths.DATA_DIR_ENV
    assert default_db_path().parent == local_models.paths.default_data_dir()


def test_open_store_defaults_to_sqlite_at_default_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(DB_ENV, str(tmp_path / "env.db"))
    store = open_store()
    try:
        assert isinstance(store, SqliteRunStore)
        assert store.path == tmp_path / "env.db"
        assert (tmp_path / "env.db").is_file()
    finally:
        store.close()


def test_open_store_with_path_and_memory(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "given.db"))
    assert isinstance(store, SqliteRunStore) and store.path == tmp_path / "given.db"
    store.close()
    assert isinstance(open_store(":memory:"), MemoryRunStore)


def test_declared_public_surface() -> None:
    exported = set(engine.store.__all__)
    assert exported == {name for name in exported if hasattr(engine.store, name)}
    assert {
        "open_store",
        "default_db_path",
        "SqliteRunStore",
        "MemoryRunStore",
        "StoreError",
        "RunStore",
    } <= exported
