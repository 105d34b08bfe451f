"""Approvals across processes: a gated run is killed while waiting, decided with
`interlock approve`, then resumed; a canary proves nothing behind the gate ran early."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.support.canary import canary_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
INTERLOCK = str(Path(sys.executable).parent / "interlock")


def workflow(url: str) -> dict[str, object]:
    return {
        "version": 1,
        "metadata": {"name": "gated send"},
        "inputs": [{"name": "draft", "default": "hello"}],
        "nodes": [
            {"id": "draft", "kind": "input"},
            {
                "id": "gate",
                "kind": "approval",
                "config": {"summary": "Send {{ proposed }}?", "output_schema": {"type": "string"}},
            },
            {"id": "send", "kind": "test_post", "config": {"url": url}},
            {"id": "side1", "kind": "test_sleep", "config": {"seconds": 0.01}},
            {"id": "side2", "kind": "test_sleep", "config": {"seconds": 0.01}},
            {"id": "out", "kind": "output"},
        ],
        "edges": [
            {"source": "draft.value", "target": "gate.in"},
            {"source": "gate.approved", "target": "send.in"},
            {"source": "draft.value", "target": "side1.in"},
            {"source": "side1.out", "target": "side2.in"},
            {"source": "side2.out", "target": "out.value"},
        ],
    }


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "INTERLOCK_DB": str(tmp_path / "runs.db"),
        "INTERLOCK_DATA_DIR": str(tmp_path / "data"),
        "INTERLOCK_NODE_KIND_MODULES": "tests.support.kinds",
        "PYTHONPATH": str(ROOT),
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INTERLOCK, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def wait_for_pending(db: Path, proc: subprocess.Popen[str]) -> str:
    for _ in range(600):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        if db.exists():
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                try:
                    rows = conn.execute(
                        "SELECT run_id FROM approvals WHERE status='pending'"
                    ).fetchall()
                except sqlite3.OperationalError:
                    rows = []
            if rows:
                return str(rows[0][0])
        time.sleep(0.05)
    raise AssertionError("no approval request appeared")


def node_events(db: Path, run_id: str) -> list[tuple[int, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT seq, type, node_id FROM events WHERE run_id=? ORDER BY seq", (run_id,)
        ).fetchall()


def test_gate_survives_sigkill_and_resumes_with_the_edited_value(
    tmp_path: Path, env: dict[str, str]
) -> None:
    db = Path(env["INTERLOCK_DB"])
    with canary_server() as canary:
        path = tmp_path / "gated.interlock.yaml"
        path.write_text(yaml.safe_dump(workflow(canary.url)))
        proc = subprocess.Popen(
            [INTERLOCK, "run", str(path), "--approve", "wait", "--json"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            run_id = wait_for_pending(db, proc)
            # The independent branch finishes while the gate waits.
            for _ in range(200):
                done = {n for _, t, n in node_events(db, run_id) if t == "node_succeeded"}
                if {"side1", "side2", "out"} <= done:
                    break
                time.sleep(0.05)
            assert {"side1", "side2", "out"} <= done
            assert canary.hits == []  # nothing behind the gate happened
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        before = node_events(db, run_id)

        listed = json.loads(cli(env, "approvals", "--json").stdout)
        assert [(r["request"]["run_id"], r["request"]["node_id"]) for r in listed] == [
            (run_id, "gate")
        ]
        bad = cli(env, "approve", run_id, "gate", "--edit", "42")
        assert bad.returncode == 2 and "does not match the schema" in bad.stderr
        ok = cli(
            env,
            "approve",
            run_id,
            "gate",
            "--edit",
            '"edited hello"',
            "-m",
            "tone",
            "--as",
            "ana",
            "--json",
        )
        # The run's process is gone: approving continues the run here, once.
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["status"] == "succeeded"
        assert [hit["body"] for hit in canary.hits] == [{"in": "edited hello"}]
        again = cli(env, "reject", run_id, "gate")
        assert again.returncode == 2 and "already decided (approved by ana)" in again.stderr
        assert "Traceback" not in again.stderr
        resumed = cli(env, "resume", run_id)
        assert resumed.returncode == 2 and "already succeeded" in resumed.stderr
        assert len(canary.hits) == 1

    after = node_events(db, run_id)[len(before) :]
    restarted = {n for _, t, n in after if t == "node_started"}
    assert restarted == {"gate", "send"}  # completed nodes did not run again
    seqs = [s for s, _, _ in node_events(db, run_id)]
    assert seqs == list(range(1, len(seqs) + 1))
    decided = [t for _, t, _ in after if t == "approval_decided"]
    assert decided == ["approval_decided"]


def test_decisions_for_runs_or_nodes_not_waiting_are_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    missing = cli(env, "approve", "nope", "gate")
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr
    path = tmp_path / "plain.interlock.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "metadata": {"name": "plain"},
                "nodes": [
                    {"id": "t", "kind": "template", "config": {"template": "x", "inputs": []}}
                ],
            }
        )
    )
    run = cli(env, "run", str(path), "--json")
    run_id = json.loads(run.stdout)["run_id"]
    refused = cli(env, "approve", run_id, "t")
    assert refused.returncode == 2 and "is not waiting for approval" in refused.stderr


def test_deny_is_the_default_without_a_terminal(env: dict[str, str], tmp_path: Path) -> None:
    with canary_server() as canary:
        path = tmp_path / "gated.interlock.yaml"
        path.write_text(yaml.safe_dump(workflow(canary.url)))
        done = subprocess.run(
            [INTERLOCK, "run", str(path), "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1
        assert "rejected by policy:deny" in json.loads(done.stdout)["error"]
        assert canary.hits == []


def test_prompt_mode_asks_on_the_terminal_and_validates_edits(
    env: dict[str, str], tmp_path: Path
) -> None:
    with canary_server() as canary:
        path = tmp_path / "gated.interlock.yaml"
        path.write_text(yaml.safe_dump(workflow(canary.url)))
        # First an edit that is not JSON, then an edit that is, then the comment.
        answers = 'e\nnot json\ne\n"from the prompt"\nlooks good\n'
        done = subprocess.run(
            [INTERLOCK, "run", str(path), "--approve", "prompt", "--json"],
            input=answers,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "approval needed" in done.stderr and "not JSON" in done.stderr
        assert [hit["body"] for hit in canary.hits] == [{"in": "from the prompt"}]
    run_id = json.loads(done.stdout)["run_id"]
    shown = json.loads(cli(env, "show", run_id, "--json").stdout)
    (approval,) = shown["approvals"]
    assert approval["status"] == "approved"
    assert approval["decision"]["comment"] == "looks good"
    assert approval["request"]["proposed"] == "hello"


def test_resume_refuses_a_run_whose_process_is_alive(env: dict[str, str], tmp_path: Path) -> None:
    with canary_server() as canary:
        path = tmp_path / "gated.interlock.yaml"
        path.write_text(yaml.safe_dump(workflow(canary.url)))
        proc = subprocess.Popen(
            [INTERLOCK, "run", str(path), "--approve", "wait"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            run_id = wait_for_pending(Path(env["INTERLOCK_DB"]), proc)
            refused = cli(env, "resume", run_id)
            assert refused.returncode == 2
            assert f"is running in process {proc.pid}" in refused.stderr
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
