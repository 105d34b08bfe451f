"""The head of the cluster running a map's items is lost mid-run: `interlock run --cluster`
stops the run as interrupted (exit 130, every finished item recorded, the store's run
`interrupted`), and `interlock resume --no-cluster` finishes it here, running only the
items not yet done; a batch whose rows run whole on the workers reports each row and
keeps the finished runs. Each test has its own head (it kills it), on the shared port."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.store.sqlite import SqliteRunStore
from local_models import SMOLLM2_ID
from tests.engine.test_crash_resume import (
    INTERLOCK,
    ROOT,
    interlock,
    interlock_env,
    newest_run,
    read_events,
)
from tests.engine.test_map_resume import TOPICS, map_items_committed, model_map_file
from tests.support.ray_head import ray_head_in

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.model]


def head_processes(port: int) -> list[int]:
    """The pids of the head's GCS server and raylet (not the worker nodes' raylets)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in args]
        gcs = f"--gcs_server_port={port}" in words
        head_raylet = any(w.endswith("/sockets/raylet") for w in words) and any(
            w.startswith("--gcs-address=") and w.endswith(f":{port}") for w in words
        )
        if gcs or head_raylet:
            found.append(int(entry.name))
    return found


def kill_head_when(
    command: list[str], address: str, done: Callable[[], int], what: str
) -> subprocess.CompletedProcess[str]:
    """Run `interlock COMMAND`, SIGKILL the head at `address` (its GCS server and raylet)
    once `done()` reaches 4, and wait for the command to end."""
    port = int(address.rpartition(":")[2])
    proc = subprocess.Popen(
        [str(INTERLOCK), *command],
        cwd=ROOT,
        env=interlock_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while done() < 4:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"the {what} made no progress on the cluster"
            time.sleep(0.01)
        pids = head_processes(port)
        assert len(pids) == 2, pids  # its GCS server and its raylet
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)  # well before Ray's own minute
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def test_a_lost_head_interrupts_the_run_and_resume_finishes_it_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    topics = [f"{topic} {n}" for n in range(10) for topic in TOPICS]
    path = model_map_file(tmp_path, topics, max_parallelism=4)
    reference = interlock(
        "run", path, "--no-cluster", "--db", tmp_path / "ref.db", "--json", "-q", timeout=300
    )
    assert reference.returncode == 0, reference.stderr
    expected = json.loads(reference.stdout)

    db = tmp_path / "runs.db"
    with ray_head_in(tmp_path / "data") as (home, address):
        monkeypatch.setenv("INTERLOCK_DATA_DIR", str(tmp_path / "data"))
        command = ["run", str(path), "--no-cache", "--cluster", address]
        command += ["--cluster-token", str(home.token), "--db", str(db), "--json", "-q"]
        ended = kill_head_when(command, address, lambda: map_items_committed(db), "map")
    out, err = ended.stdout, ended.stderr
    assert ended.returncode == 130, err
    run_id, status = newest_run(db)
    assert status == "interrupted"
    assert f"run {run_id} was interrupted: the cluster's head at {address}" in err
    assert json.loads(out)["status"] == "interrupted"
    before = [e for e in read_events(db, run_id) if e.type == "map_item"]
    assert 4 <= len(before) < len(topics)

    done = interlock("resume", run_id, "--no-cluster", "--db", db, "--json", "-q", timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded"
    assert summary["outputs"] == expected["outputs"]
    events = read_events(db, run_id)
    items = [e for e in events if e.type == "map_item"]
    assert sorted(e.data["index"] for e in items) == list(range(len(topics)))  # once each
    assert items[: len(before)] == before  # what finished on the cluster stayed
    used = sum(e.data["prompt_tokens"] + e.data["completion_tokens"] for e in items)
    assert summary["tokens"] == used == expected["tokens"]


SAY = f"""\
version: 1
metadata: {{name: say}}
inputs: [{{name: topic, type: string, required: true}}]
nodes:
  - {{id: topic, kind: input}}
  - id: say
    kind: llm
    config: {{model: {SMOLLM2_ID}, prompt: "One short sentence about {{{{ in }}}}.",
             max_tokens: 12, temperature: 0}}
  - {{id: out, kind: output}}
edges:
  - {{source: topic.value, target: say.in}}
  - {{source: say.text, target: out.value}}
"""


def runs_committed(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            row = connection.execute("SELECT count(*) FROM runs WHERE status = 'succeeded'")
            return int(row.fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_batch_whose_head_is_lost_reports_each_row_and_keeps_the_finished_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole runs on the workers: rows that finished are recorded and reported, the rest
    say they did not run; exit 130."""
    flow = tmp_path / "say.interlock.yaml"
    flow.write_text(SAY)
    rows = [{"topic": f"{topic} {n}"} for n in range(10) for topic in TOPICS]
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    db = tmp_path / "runs.db"
    with ray_head_in(tmp_path / "data") as (home, address):
        monkeypatch.setenv("INTERLOCK_DATA_DIR", str(tmp_path / "data"))
        command = ["run", str(flow), "--inputs-file", str(tmp_path / "rows.json")]
        command += ["--cluster", address, "--cluster-token", str(home.token)]
        command += ["--no-cache", "--db", str(db), "--json", "-q"]
        ended = kill_head_when(command, address, lambda: runs_committed(db), "batch")
    out, err = ended.stdout, ended.stderr
    assert ended.returncode == 130, err
    report = json.loads(out)
    assert len(report) == len(rows)
    done = [r for r in report if r["status"] == "succeeded"]
    lost = [r for r in report if r["status"] == "not_run"]
    assert len(done) + len(lost) == len(rows) and len(done) >= 4 and lost
    assert all(f"the cluster's head at {address}" in r["error"] for r in lost)
    assert f"{len(lost)} of {len(rows)} rows did not finish (the cluster was lost)" in err
    store = SqliteRunStore(db)
    try:
        recorded = {r.run_id: r.status for r in store.list_runs(limit=1000)}
    finally:
        store.close()
    assert recorded == {r["run_id"]: "succeeded" for r in done}  # each finished row, once


def test_an_evaluation_whose_head_is_lost_is_interrupted_and_resumes_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Evaluation rows run whole on the workers; the head is killed mid-way: the evaluation
    is `interrupted` (exit 130) with its finished rows kept, and `eval resume
    --no-cluster` runs only the other rows, here."""
    (tmp_path / "say.interlock.yaml").write_text(SAY)
    topics = [f"{topic} {n}" for n in range(10) for topic in TOPICS]
    dataset = "".join(json.dumps({"topic": t, "expected": t}) + "\n" for t in topics)
    (tmp_path / "say.jsonl").write_text(dataset)
    (tmp_path / "say.eval.yaml").write_text(
        "version: 1\nname: Say\nworkflow: say.interlock.yaml\ndataset: say.jsonl\n"
        "concurrency: 4\nscorers:\n  - {id: nonempty, type: regex, pattern: '.+'}\n"
    )
    db = tmp_path / "runs.db"
    with ray_head_in(tmp_path / "data") as (home, address):
        monkeypatch.setenv("INTERLOCK_DATA_DIR", str(tmp_path / "data"))
        command = ["eval", "run", str(tmp_path / "say.eval.yaml"), "--cluster", address]
        command += ["--cluster-token", str(home.token), "--db", str(db), "--json", "-q"]
        ended = kill_head_when(command, address, lambda: runs_committed(db), "evaluation")
    err = ended.stderr
    assert ended.returncode == 130, err
    assert f"the cluster's head at {address} stopped answering" in err
    assert "`interlock eval resume " in err
    store = SqliteRunStore(db)
    try:
        (evaluation,) = store.list_evaluations()
        assert evaluation.status == "interrupted"
        kept = {r.row_index: r.run_id for r in store.row_results(evaluation.eval_id)}
    finally:
        store.close()
    assert 0 < len(kept) < len(topics)

    done = interlock("eval", "resume", evaluation.eval_id, "--no-cluster", "--db", db, "-q")
    assert done.returncode == 0, done.stderr
    store = SqliteRunStore(db)
    try:
        final = store.get_evaluation(evaluation.eval_id)
        rows = store.row_results(evaluation.eval_id)
    finally:
        store.close()
    assert final is not None and final.status == "succeeded"
    assert sorted(r.row_index for r in rows) == list(range(len(topics)))  # each row once
    assert all(r.run_status == "succeeded" and r.passed for r in rows)
    assert {r.row_index: r.run_id for r in rows if r.row_index in kept} == kept  # not re-run
