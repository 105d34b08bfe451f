"""The audit trail: redaction, the hash chain over both stores, and tamper detection of
random edits, deletions, reorders and truncations (hypothesis), through `interlock audit`."""

from __future__ import annotations

import dataclasses
import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.audit import REDACTED, AuditEntry, redact, verify_chain
from engine.audit.chain import GENESIS
from engine.cli.main import main
from engine.store import MemoryRunStore, RunStore, SqliteRunStore


def entry(i: int, **extra: object) -> AuditEntry:
    return AuditEntry(
        action="tool_call",
        outcome="ok",
        run_id="r",
        node_id=f"n{i}",
        tool="file_read",
        arguments={"path": f"docs/{i}.md"},
        **extra,
    )  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> RunStore:
    return MemoryRunStore() if request.param == "memory" else SqliteRunStore(tmp_path / "a.db")


def test_store_seals_entries_onto_the_chain(store: RunStore) -> None:
    sealed = [store.append_audit(entry(i)) for i in range(5)]
    assert [e.seq for e in sealed] == [1, 2, 3, 4, 5]
    assert sealed[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(sealed))
    assert store.audit_entries() == sealed
    assert store.audit_entries(after_seq=3) == sealed[3:]
    report = verify_chain(store.audit_entries())
    assert report.ok and report.checked == 5 and report.head == sealed[-1].hash


def test_redaction_of_secret_keys_and_token_values() -> None:
    shown = redact(
        {
            "url": "https://x.test/?q=1",
            "headers": {"Authorization": "Bearer abcdef123456", "X-Api-Key": "k", "Accept": "*/*"},
            "password": "hunter2",
            "clientSecret": "s",
            "body": "token sk-abcdefghijklmnopqrstuvwx and "
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x",
            "nested": [{"access_token": "t"}, "ghp_abcdefghijklmnop1234"],
        }
    )
    assert shown["headers"] == {"Authorization": REDACTED, "X-Api-Key": REDACTED, "Accept": "*/*"}
    assert shown["password"] == shown["clientSecret"] == REDACTED
    assert "sk-abc" not in shown["body"] and "eyJ" not in shown["body"]
    assert shown["nested"] == [{"access_token": REDACTED}, REDACTED]
    assert shown["url"] == "https://x.test/?q=1"


def _tamper(db: Path, kind: str, index: int, data: st.DataObject) -> None:
    con = sqlite3.connect(db)
    seqs = [r[0] for r in con.execute("SELECT seq FROM audit_log ORDER BY seq")]
    seq = seqs[index % len(seqs)]
    if kind == "edit":
        column = data.draw(
            st.sampled_from(
                [
                    "outcome",
                    "tool",
                    "arguments_json",
                    "ts",
                    "node_id",
                    "prev_hash",
                    "hash",
                    "user",
                    "detail_json",
                ]
            )
        )
        old = con.execute(f"SELECT {column} FROM audit_log WHERE seq = ?", (seq,)).fetchone()[0]
        new = data.draw(st.one_of(st.text(max_size=20), st.floats(allow_nan=False), st.none()))
        if column.endswith("_json"):
            new = json.dumps({"x": new})
        if new == old or (column in ("hash", "prev_hash", "outcome", "tool", "ts") and new is None):
            new = f"{old}!"
        con.execute(f"UPDATE audit_log SET {column} = ? WHERE seq = ?", (new, seq))
    elif kind == "delete":
        con.execute("DELETE FROM audit_log WHERE seq = ?", (seq,))
    elif kind == "truncate":
        con.execute("DELETE FROM audit_log WHERE seq >= ?", (seq,))
    elif kind == "swap":
        other = seqs[(index + 1) % len(seqs)]
        if other == seq:
            other = seqs[0] if seq != seqs[0] else seqs[-1]
        con.execute("UPDATE audit_log SET seq = -1 WHERE seq = ?", (seq,))
        con.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", (seq, other))
        con.execute("UPDATE audit_log SET seq = ? WHERE seq = -1", (other,))
    con.commit()
    con.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(min_value=2, max_value=12),
    kind=st.sampled_from(["edit", "delete", "truncate", "swap"]),
    index=st.integers(min_value=0, max_value=100),
    data=st.data(),
)
def test_any_tampering_is_detected(
    tmp_path_factory: pytest.TempPathFactory, count: int, kind: str, index: int, data: st.DataObject
) -> None:
    db = tmp_path_factory.mktemp("audit") / "a.db"
    with SqliteRunStore(db) as store:
        for i in range(count):
            store.append_audit(entry(i, detail={"call": i}))
    anchor = db.with_suffix(".jsonl")
    assert main(["audit", "export", "--db", str(db), "-o", str(anchor)]) == 0
    assert main(["audit", "verify", "--db", str(db), "--anchor", str(anchor)]) == 0
    _tamper(db, kind, index, data)
    assert main(["audit", "verify", "--db", str(db), "--anchor", str(anchor)]) == 1


def test_verify_names_the_first_broken_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "a.db"
    with SqliteRunStore(db) as store:
        for i in range(6):
            store.append_audit(entry(i))
    con = sqlite3.connect(db)
    con.execute("UPDATE audit_log SET outcome = 'refused' WHERE seq = 4")
    con.commit()
    con.close()
    capsys.readouterr()
    assert main(["audit", "verify", "--db", str(db), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "ok": False,
        "checked": 3,
        "head": report["head"],
        "first_bad_seq": 4,
        "reason": "content does not match its hash",
    }


def test_export_is_json_lines_with_the_head(tmp_path: Path) -> None:
    db, out = tmp_path / "a.db", tmp_path / "trail.jsonl"
    with SqliteRunStore(db) as store:
        sealed = [store.append_audit(entry(i)) for i in range(3)]
    assert main(["audit", "export", "--db", str(db), "-o", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [AuditEntry.from_json(x) for x in lines[:3]] == sealed
    assert lines[3] == {"head": sealed[-1].hash, "count": 3, "verified": True}
    assert main(["audit", "verify", "--file", str(out)]) == 0
    lines[1]["outcome"] = "error"
    out.write_text("\n".join(json.dumps(x) for x in lines))
    assert main(["audit", "verify", "--file", str(out)]) == 1


def test_truncated_tail_verifies_only_without_an_anchor() -> None:
    store = MemoryRunStore()
    sealed = [store.append_audit(entry(i)) for i in range(4)]
    assert verify_chain(sealed[:2]).ok
    assert not verify_chain(sealed[:2], expect_head=sealed[-1].hash, expect_count=4).ok
    later = dataclasses.replace(entry(9))
    store.append_audit(later)
    assert verify_chain(store.audit_entries(), expect_head=sealed[-1].hash, expect_count=4).ok
