"""SQLite-only behaviour: pragmas, durability across close and kill -9, sharing one file
between store instances and processes, and clear errors for files that are not stores."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.store import SqliteRunStore, StoreError
from engine.store.migrations import HEAD
from engine.store.protocol import CacheHit
from engine.trace.events import NodeStarted, NodeSucceeded, RunStarted
from tests.engine.store.runs import append_like_runtime, run_life

REPO = Path(__file__).resolve().parents[3]


def run_python(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_connections_use_wal_normal_sync_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    with SqliteRunStore(tmp_path / "s.db", busy_timeout_s=3.0) as store:
        db = store._db
        assert db is not None
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 3000
    plain = sqlite3.connect(tmp_path / "s.db")
    assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in file
    plain.close()


def test_data_survives_close_and_reopen(tmp_path: Path) -> None:
    events = run_life()
    with SqliteRunStore(tmp_path / "s.db") as store:
        append_like_runtime(store, events)
        store.cache_put("k", "llm", {"v": 1})
        expected = (store.get_run("r1"), store.attempts("r1"))
    with SqliteRunStore(tmp_path / "s.db") as store:
        assert (store.get_run("r1"), store.attempts("r1")) == expected
        assert store.events("r1") == events
        assert store.cache_get("k") == CacheHit({"v": 1})


def test_cache_get_counts_hits(tmp_path: Path) -> None:
    with SqliteRunStore(tmp_path / "s.db") as store:
        store.cache_put("k", "llm", {"v": 1})
        store.cache_get("k")
        store.cache_get("k")
        hits = sqlite3.connect(tmp_path / "s.db").execute("SELECT hits FROM cache_entries")
        assert hits.fetchone()[0] == 2
        store.cache_put("k", "llm", {"v": 2})  # a new value starts counting again
        assert (
            sqlite3.connect(tmp_path / "s.db")
            .execute("SELECT hits FROM cache_entries")
            .fetchone()[0]
            == 0
        )


def test_two_instances_share_one_file(tmp_path: Path) -> None:
    events = run_life()
    with SqliteRunStore(tmp_path / "s.db") as writer, SqliteRunStore(tmp_path / "s.db") as reader:
        writer.append_events(events[:3])
        assert reader.events("r1") == events[:3]
        run = reader.get_run("r1")
        assert run is not None and run.status == "running"
        reader.append_events(events[3:8])  # either instance may write
        writer.append_events(events[8:])
        assert reader.events("r1") == writer.events("r1") == events
        assert reader.attempts("r1") == writer.attempts("r1")
        assert len(reader.attempts("r1")) == 5


def test_reader_sees_committed_data_while_writer_holds_the_lock(tmp_path: Path) -> None:
    with SqliteRunStore(tmp_path / "s.db") as store:
        store.append_events(run_life()[:1])
        other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE runs SET status = 'uncommitted'")
        run = store.get_run("r1")  # WAL: readers are not blocked and see the last commit
        assert run is not None and run.status == "running"
        other.execute("ROLLBACK")
        other.close()


WRITER = """
    import sys
    from engine.trace.events import NodeStarted, NodeSucceeded, RunFinished, RunStarted
    from engine.store import SqliteRunStore
    path, run_id, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = SqliteRunStore(path)
    store.append_events([RunStarted(run_id=run_id, seq=1, workflow_hash="h")])
    seq = 2
    for i in range(n):
        store.append_events([
            NodeStarted(run_id=run_id, seq=seq, node_id=f"n{i}", inputs={"i": i}),
            NodeSucceeded(run_id=run_id, seq=seq + 1, node_id=f"n{i}", outputs={"i": i}),
        ])
        seq += 2
    store.append_events([RunFinished(run_id=run_id, seq=seq)])
    store.close()
"""


@pytest.mark.slow
def test_processes_writing_concurrently_do_not_corrupt(tmp_path: Path) -> None:
    path, n = tmp_path / "shared.db", 150
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), str(path), f"p{i}", str(n)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]  # both open the fresh file at once: the schema migration must run exactly once
    with SqliteRunStore(path) as store:  # and this process writes alongside them
        append_like_runtime(store, run_life("mine"))
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        for run_id in ("p0", "p1"):
            run = store.get_run(run_id)
            assert run is not None and run.status == "succeeded"
            assert [e.seq for e in store.events(run_id)] == list(range(1, 2 * n + 3))
            assert {a.status for a in store.attempts(run_id)} == {"succeeded"}
            assert len(store.attempts(run_id)) == n
        assert store.events("mine") == run_life("mine")
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert check.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    check.close()


@pytest.mark.slow
def test_committed_events_survive_kill_9(tmp_path: Path) -> None:
    code = """
        import os, signal, sys
        from engine.trace.events import NodeStarted, NodeSucceeded, RunStarted
        from engine.store import SqliteRunStore
        store = SqliteRunStore(sys.argv[1])
        store.append_events([RunStarted(run_id="r", seq=1, workflow_hash="h")])
        store.append_events([NodeStarted(run_id="r", seq=2, node_id="a"),
                             NodeSucceeded(run_id="r", seq=3, node_id="a", outputs={"o": 1})])
        os.kill(os.getpid(), signal.SIGKILL)
    """
    result = run_python(code, str(tmp_path / "s.db"))
    assert result.returncode == -9, result.stderr
    with SqliteRunStore(tmp_path / "s.db") as store:
        assert [e.seq for e in store.events("r")] == [1, 2, 3]
        [attempt] = store.attempts("r")
        assert (attempt.status, attempt.outputs) == ("succeeded", {"o": 1})


def test_file_that_is_not_a_database_gives_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    content = b"these are my notes, not a database\n" * 100
    path.write_bytes(content)
    with pytest.raises(StoreError, match=r"notes\.db.*not a database"):
        SqliteRunStore(path)
    assert path.read_bytes() == content


def test_directory_path_gives_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open run store"):
        SqliteRunStore(tmp_path)


def test_other_apps_database_gives_store_error(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    foreign = sqlite3.connect(path)
    foreign.execute("CREATE TABLE contacts (name TEXT)")
    foreign.commit()
    foreign.close()
    with pytest.raises(StoreError, match="not an Interlock run store"):
        SqliteRunStore(path)
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")
    assert [row[0] for row in tables] == ["contacts"]


def test_newer_schema_revision_gives_store_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SqliteRunStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE alembic_version SET version_num = '9999'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"9999.*newer"):
        SqliteRunStore(path)


def test_store_is_usable_from_another_thread(tmp_path: Path) -> None:
    import threading

    with SqliteRunStore(tmp_path / "s.db") as store:
        store.append_events([RunStarted(run_id="r", seq=1, workflow_hash="h")])
        errors: list[BaseException] = []

        def work(base: int) -> None:
            try:
                for i in range(20):
                    seq = base + 2 * i
                    store.append_events(
                        [
                            NodeStarted(run_id="r", seq=seq, node_id=f"n{seq}"),
                            NodeSucceeded(run_id="r", seq=seq + 1, node_id=f"n{seq}"),
                        ]
                    )
                    store.events("r")
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(b,)) for b in (100, 200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(store.events("r")) == 81
        assert len(store.attempts("r")) == 40
