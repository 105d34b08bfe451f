"""An audit entry that cannot be read (its JSON corrupted in the database, a garbled line
in an export) is a broken entry: `audit verify` exits 1 naming its number, never 2."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from engine.audit.chain import AuditEntry, verify_chain
from engine.store import open_store
from tests.engine.hostile.cli import assert_no_traceback, cli_env, interlock


def _trail(db: Path, count: int = 3) -> None:
    store = open_store(str(db))
    try:
        for i in range(count):
            store.append_audit(
                AuditEntry(action="tool_call", outcome="ok", tool="t", arguments={"i": i})
            )
    finally:
        store.close()


@pytest.mark.parametrize(
    ("column", "value"),
    [("arguments_json", "{not json"), ("detail_json", "[1, 2]"), ("arguments_json", "\x00")],
)
def test_a_corrupted_row_reads_as_a_broken_entry(tmp_path: Path, column: str, value: str) -> None:
    db = tmp_path / "runs.db"
    _trail(db)
    with sqlite3.connect(db) as raw:
        raw.execute(f"UPDATE audit_log SET {column} = ? WHERE seq = 2", (value,))
    store = open_store(str(db))
    try:
        report = verify_chain(store.audit_entries())
    finally:
        store.close()
    assert not report.ok and report.first_bad_seq == 2 and report.checked == 1
    assert "cannot be read" in report.reason


@pytest.mark.slow
def test_cli_audit_verify_exits_1_at_the_unreadable_entry(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    _trail(db)
    env = cli_env(tmp_path)
    export = tmp_path / "trail.jsonl"
    assert interlock(env, "audit", "export", "--db", str(db), "-o", str(export)).code == 0
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE audit_log SET arguments_json = '{\"i\": ' WHERE seq = 2")
    done = interlock(env, "audit", "verify", "--db", str(db))
    assert_no_traceback(done)
    assert done.code == 1, done.text
    assert "BROKEN at entry 2" in done.out and "cannot be read" in done.out
    done = interlock(env, "audit", "verify", "--db", str(db), "--json")
    assert done.code == 1 and json.loads(done.out)["first_bad_seq"] == 2

    lines = export.read_text().splitlines()
    lines[2] = lines[2][:20]  # entry 3 cut mid-line
    export.write_text("\n".join(lines) + "\n")
    done = interlock(env, "audit", "verify", "--file", str(export))
    assert_no_traceback(done)
    assert done.code == 1, done.text
    assert "BROKEN at entry 3" in done.out and "line 3" in done.out
