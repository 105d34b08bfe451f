"""Durability: a real `interlock run` process is SIGKILLed at many points of a 40-node
run and `interlock resume` finishes it — nothing finished is redone, nothing is lost,
the event log stays one gapless sequence."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
INTERLOCK = Path(sys.executable).parent / "interlock"
TERMINAL = {"node_succeeded", "node_cached", "node_skipped", "node_failed"}
DONE = {"node_succeeded", "node_cached", "node_skipped"}
KILL_POINTS = 10
FANOUT = 8


def interlock_env() -> dict[str, str]:
    env = dict(os.environ)
    env["INTERLOCK_NODE_KIND_MODULES"] = "tests.support.kinds"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def interlock(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INTERLOCK), *map(str, args)],
        cwd=ROOT,
        env=interlock_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ---- the workflow ---------------------------------------------------------------------


def _sleep(node_id: str, i: int, inputs: list[str] | None = None) -> dict[str, Any]:
    seconds = 0.02 + 0.01 * (i % 5)  # 20..60 ms
    return {
        "id": node_id,
        "kind": "test_sleep",
        "config": {"seconds": seconds, "inputs": inputs or ["in"]},
    }


def build_workflow() -> dict[str, Any]:
    """input -> src -> fan-out of 8 two-node chains -> join(all) -> branch; the taken
    branch fans out to 4 and joins again, the untaken one (4 nodes) is skipped; a join(any)
    merges both branches, then a 2-node tail feeds the output. 40 nodes, 31 test_sleep."""
    nodes: list[dict[str, Any]] = [
        {"id": "mode", "kind": "input"},
        _sleep("src", 0),
    ]
    edges: list[tuple[str, str]] = [("mode.value", "src.in")]
    for i in range(FANOUT):
        nodes += [_sleep(f"f{i}", i + 1), _sleep(f"g{i}", i + 3)]
        edges += [("src.out", f"f{i}.in"), (f"f{i}.out", f"g{i}.in"), (f"g{i}.out", f"fan.p{i}")]
    nodes += [
        {
            "id": "fan",
            "kind": "join",
            "config": {"inputs": [f"p{i}" for i in range(FANOUT)], "mode": "all"},
        },
        {
            "id": "route",
            "kind": "branch",
            "config": {
                "cases": [{"port": "deep", "when": f"len(in) == {FANOUT}"}],
                "default": "shallow",
            },
        },
        _sleep("d0", 1),
        {
            "id": "wide",
            "kind": "join",
            "config": {"inputs": ["a", "b", "c", "d"], "mode": "all", "aggregate": "object"},
        },
        _sleep("d2", 2),
        _sleep("d3", 3),
        _sleep("d4", 4),
        {"id": "merge", "kind": "join", "config": {"inputs": ["deep", "shallow"], "mode": "any"}},
        _sleep("e0", 2),
        _sleep("e1", 4),  # the last sleeper: 60 ms, the window for the latest kill point
        {"id": "result", "kind": "output"},
        {"id": "fanned", "kind": "output"},
    ]
    edges += [
        ("fan.value", "route.in"),
        ("fan.value", "fanned.value"),
        ("route.deep", "d0.in"),
        ("d2.out", "d3.in"),
        ("d3.out", "d4.in"),
        ("d4.out", "merge.deep"),
        ("merge.value", "e0.in"),
        ("e0.out", "e1.in"),
        ("e1.out", "result.value"),
    ]
    for j, port in enumerate("abcd"):
        nodes.append(_sleep(f"d1{port}", j))
        edges += [("d0.out", f"d1{port}.in"), (f"d1{port}.out", f"wide.{port}")]
    edges.append(("wide.value", "d2.in"))
    for j in range(4):
        nodes.append(_sleep(f"s{j}", j))
        source = "route.shallow" if j == 0 else f"s{j - 1}.out"
        edges.append((source, f"s{j}.in"))
    edges.append(("s3.out", "merge.shallow"))
    return {
        "version": 1,
        "metadata": {"name": "crash and resume"},
        "inputs": [{"name": "mode", "type": "string", "default": "full"}],
        "nodes": nodes,
        "edges": [{"source": s, "target": t} for s, t in edges],
        "policy": {"max_parallelism": 4},
    }


SKIPPED = {"s0", "s1", "s2", "s3"}


# ---- reading the store behind the process's back ---------------------------------------


@dataclass(frozen=True)
class Ev:
    seq: int
    type: str
    node_id: str | None
    data: dict[str, Any]


def _connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)


def committed_events(db: Path) -> int:
    """How many events are committed (0 while the file or its schema is not there yet)."""
    try:
        with _connect(db) as connection:
            return int(connection.execute("SELECT count(*) FROM events").fetchone()[0])
    except sqlite3.Error:
        return 0


def read_events(db: Path, run_id: str) -> list[Ev]:
    with _connect(db) as connection:
        rows = connection.execute(
            "SELECT seq, type, node_id, data_json FROM events WHERE run_id = ? ORDER BY seq",
            (run_id,),
        ).fetchall()
    return [Ev(seq, type_, node, json.loads(data or "{}")) for seq, type_, node, data in rows]


def newest_run(db: Path) -> tuple[str, str]:
    with _connect(db) as connection:
        row = connection.execute(
            "SELECT run_id, status FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
        ).fetchone()
    assert row is not None, f"no run in {db}"
    return str(row[0]), str(row[1])


def run_status(db: Path, run_id: str) -> str:
    with _connect(db) as connection:
        row = connection.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return str(row[0])


def start_and_kill(workflow: Path, db: Path, at_events: int) -> None:
    """Start `interlock run` and SIGKILL it once at least `at_events` events are committed."""
    kill_when(["run", str(workflow)], db, at_events)


def kill_when(command: list[str], db: Path, at_events: int) -> None:
    """Start `interlock COMMAND --db DB` and SIGKILL it once `at_events` events are committed."""
    proc = subprocess.Popen(
        [str(INTERLOCK), *command, "--db", str(db), "--json", "--quiet"],
        cwd=ROOT,
        env=interlock_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while committed_events(db) < at_events:
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"{command[0]} ended (exit {proc.returncode}) early:\n{err}")
            assert time.monotonic() < deadline, "run made no progress"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL, f"{command[0]} finished before it was killed"


# ---- fixtures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    workflow: Path
    db: Path
    run_id: str
    node_ids: list[str]
    outputs: dict[str, Any]
    kill_points: list[int]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The workflow file and an uninterrupted run of it."""
    folder = tmp_path_factory.mktemp("crash")
    data = build_workflow()
    workflow = folder / "crash.interlock.yaml"
    workflow.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    db = folder / "reference.db"
    done = interlock("run", workflow, "--db", db, "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded"
    assert {n for n, s in summary["nodes"].items() if s == "skipped"} == SKIPPED
    run_id, _ = newest_run(db)
    events = read_events(db, run_id)
    # Kill no later than e0's result: e1 (60 ms) is still to come, so the kill is mid-run.
    last = next(e.seq for e in events if e.node_id == "e0" and e.type == "node_succeeded")
    points = sorted({1 + round(i * (last - 1) / (KILL_POINTS - 1)) for i in range(KILL_POINTS)})
    nodes = [n["id"] for n in data["nodes"]]
    return Reference(workflow, db, run_id, nodes, summary["outputs"], points)


def test_workflow_is_big_enough(reference: Reference) -> None:
    data = yaml.safe_load(reference.workflow.read_text())
    sleepers = [n for n in data["nodes"] if n["kind"] == "test_sleep"]
    assert len(data["nodes"]) >= 30 and len(sleepers) >= 30
    assert len(reference.kill_points) == KILL_POINTS
    assert reference.outputs["fanned"] and reference.outputs["result"]


# ---- the crash matrix ------------------------------------------------------------------


@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_resume_after_sigkill(reference: Reference, tmp_path: Path, point: int) -> None:
    db = tmp_path / "run.db"
    start_and_kill(reference.workflow, db, reference.kill_points[point])
    run_id, status = newest_run(db)
    assert status == "running"
    before = read_events(db, run_id)
    finished = {e.node_id for e in before if e.type in TERMINAL}
    assert not any(e.type == "node_failed" for e in before)
    started = {e.node_id for e in before if e.type == "node_started"}
    in_flight = started - finished
    started_attempt = {e.node_id: e.data["attempt"] for e in before if e.type == "node_started"}

    resumed = interlock("resume", run_id, "--db", db, "--json", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["run_id"] == run_id
    assert summary["status"] == "succeeded"
    assert summary["outputs"] == reference.outputs
    assert run_status(db, run_id) == "succeeded"

    after = read_events(db, run_id)
    # Nothing committed before the crash was touched; numbering continues without a gap.
    assert after[: len(before)] == before
    assert [e.seq for e in after] == list(range(1, len(after) + 1))
    types = [e.type for e in after]
    assert types.count("run_started") == 1 and types[0] == "run_started"
    assert types.count("run_resumed") == 1 and types[len(before)] == "run_resumed"
    assert types.count("run_finished") == 1 and types[-1] == "run_finished"
    assert after[-1].data["status"] == "succeeded"
    resume_event = after[len(before)]
    assert sorted(resume_event.data["completed_nodes"]) == sorted(finished)

    terminal = [e.node_id for e in after if e.type in TERMINAL]
    assert sorted(terminal) == sorted(reference.node_ids), "one terminal event per node"
    assert all(e.type in DONE for e in after if e.type in TERMINAL)
    assert {e.node_id for e in after if e.type == "node_skipped"} == SKIPPED

    since_resume = after[len(before) :]
    again = {e.node_id for e in since_resume if e.type in {"node_queued", "node_started"}}
    assert not again & finished, f"finished before the crash but ran again: {again & finished}"
    restarted = {e.node_id: e.data["attempt"] for e in since_resume if e.type == "node_started"}
    for node in in_flight:
        assert node in restarted, f"{node} was in flight at the crash and never re-ran"
        assert restarted[node] == started_attempt[node] + 1


def test_a_resume_killed_in_turn_is_resumed_again(reference: Reference, tmp_path: Path) -> None:
    db = tmp_path / "twice.db"
    first, second = reference.kill_points[2], reference.kill_points[6]
    start_and_kill(reference.workflow, db, first)
    run_id, _ = newest_run(db)
    before = read_events(db, run_id)
    kill_when(["resume", run_id], db, second)
    middle = read_events(db, run_id)
    assert middle[: len(before)] == before
    assert middle[len(before)].type == "run_resumed"
    assert run_status(db, run_id) == "running"

    resumed = interlock("resume", run_id, "--db", db, "--json", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["outputs"] == reference.outputs
    after = read_events(db, run_id)
    assert after[: len(middle)] == middle
    assert [e.seq for e in after] == list(range(1, len(after) + 1))
    types = [e.type for e in after]
    assert types.count("run_started") == 1
    assert types.count("run_resumed") == 2 and types[len(middle)] == "run_resumed"
    assert types.count("run_finished") == 1 and types[-1] == "run_finished"
    terminal = [e.node_id for e in after if e.type in TERMINAL]
    assert sorted(terminal) == sorted(reference.node_ids)
    finished = {e.node_id for e in middle if e.type in TERMINAL}
    late = {e.node_id for e in after[len(middle) :] if e.type == "node_started"}
    assert not late & finished
    assert run_status(db, run_id) == "succeeded"


def test_kill_points_cover_the_interesting_states(reference: Reference, tmp_path: Path) -> None:
    """One kill with nodes in flight and others done: the matrix above can catch both a
    node that is redone and one that is dropped."""
    for at in reference.kill_points[1:]:
        db = tmp_path / f"k{at}.db"
        start_and_kill(reference.workflow, db, at)
        run_id, _ = newest_run(db)
        before = read_events(db, run_id)
        finished = {e.node_id for e in before if e.type in TERMINAL}
        started = {e.node_id for e in before if e.type == "node_started"}
        if finished and started - finished:
            return
    pytest.fail("no kill point caught a node in flight")


# ---- refusals --------------------------------------------------------------------------


def test_resuming_a_succeeded_run_is_refused(reference: Reference) -> None:
    db, run_id = reference.db, reference.run_id
    assert run_status(db, run_id) == "succeeded"
    count = len(read_events(db, run_id))
    again = interlock("resume", run_id, "--db", db, "--json", "--quiet")
    assert again.returncode == 2
    assert "already succeeded" in again.stderr
    assert "Traceback" not in again.stderr
    assert again.stdout == ""
    assert len(read_events(db, run_id)) == count


def test_resuming_an_unknown_run_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    result = interlock("resume", "no-such-run", "--db", db, "--json")
    assert result.returncode == 2
    assert "no-such-run" in result.stderr
    assert "Traceback" not in result.stderr
