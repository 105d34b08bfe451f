"""One owner per run: a lease taken atomically in the store before anything executes;
a second resume is refused before it runs a node; a store that cannot record stops the
run at once; a side-effecting node's start is on disk before it acts."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.errors import RunError
from engine.runtime.engine import Engine
from engine.store.leases import Lease
from engine.store.sqlite import SqliteRunStore
from engine.trace.events import NodeStarted, RunEvent
from tests.engine.helpers import wf
from tests.support.kinds import make_registry

ROOT = Path(__file__).resolve().parents[2]
INTERLOCK = Path(sys.executable).parent / "interlock"


def chain(n: int, seconds: float) -> Any:
    nodes = [
        {
            "id": f"s{i}",
            "kind": "test_sleep",
            "config": {"seconds": seconds, "inputs": ["in"] if i else []},
        }
        for i in range(n)
    ]
    edges = [(f"s{i - 1}.out", f"s{i}.in") for i in range(1, n)]
    return wf([*nodes, {"id": "o", "kind": "output"}], [*edges, (f"s{n - 1}.out", "o.value")])


def test_a_live_owner_keeps_the_run_and_a_dead_one_loses_it(tmp_path: Path) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")
    host, now = socket.gethostname(), time.time()
    mine = Lease("r1", "a", host, os.getpid(), now + 30)
    assert store.take_lease(mine, now, lambda _: True) is None
    other = Lease("r1", "b", host, 999_999, now + 30)
    assert store.take_lease(other, now, lambda _: True) == mine  # alive: refused
    assert store.take_lease(other, now, lambda _: False) is None  # its process is gone
    assert not store.renew_lease(mine)  # the first owner learns it lost the run
    elsewhere = Lease("r1", "c", "another-host", 1, now + 30)
    assert store.take_lease(elsewhere, now, lambda _: False) == other  # unknown there: wait
    assert store.take_lease(elsewhere, now + 31, lambda _: True) is None  # expired
    store.release_lease("r1", "b")  # not the owner any more: no effect
    assert store.take_lease(mine, now + 10, lambda _: True) == elsewhere


def test_resume_is_refused_while_another_engine_runs_the_run(tmp_path: Path) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")
    engine = Engine(make_registry(), store=store)
    workflow = chain(3, 0.3)
    started: list[str] = []

    async def both() -> tuple[Any, Any]:
        first = asyncio.create_task(
            engine.run(workflow, {}, run_id="run-1", subscribers=[lambda e: started.append(e.type)])
        )
        while "node_started" not in started:
            await asyncio.sleep(0.01)
        second = Engine(make_registry(), store=store)
        with pytest.raises(RunError, match="is running in process"):
            await second.resume("run-1")
        return await first, None

    result, _ = asyncio.run(both())
    assert result.status == "succeeded"
    types = [e.type for e in store.events("run-1")]
    assert types.count("run_resumed") == 0 and types.count("run_finished") == 1


def _crashed_run(tmp_path: Path) -> tuple[Path, str]:
    """A run of a 6-node chain whose process was SIGKILLed after its second node."""
    workflow = tmp_path / "chain.interlock.yaml"
    from engine.workflow.loader import save_workflow

    save_workflow(chain(6, 0.4), workflow)
    db = tmp_path / "runs.db"
    env = {
        **os.environ,
        "INTERLOCK_NODE_KIND_MODULES": "tests.support.kinds",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [str(INTERLOCK), "run", str(workflow), "--db", str(db), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline and proc.poll() is None
            if db.exists():
                store = SqliteRunStore(db)
                runs = store.list_runs()
                done = [
                    e for r in runs for e in store.events(r.run_id) if e.type == "node_succeeded"
                ]
                store.close()
                if len(done) >= 2:
                    break
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    store = SqliteRunStore(db)
    (run,) = store.list_runs()
    store.close()
    return db, run.run_id


@pytest.mark.slow
def test_three_simultaneous_resumes_run_each_node_once(tmp_path: Path) -> None:
    db, run_id = _crashed_run(tmp_path)
    env = {
        **os.environ,
        "INTERLOCK_NODE_KIND_MODULES": "tests.support.kinds",
        "PYTHONPATH": str(ROOT),
    }
    procs = [
        subprocess.Popen(
            [str(INTERLOCK), "resume", run_id, "--db", str(db), "--json", "--quiet"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [(p.wait(60), *p.communicate()) for p in procs]
    winners = [out for code, out, _ in outcomes if code == 0]
    assert len(winners) == 1, outcomes
    assert json.loads(winners[0])["status"] == "succeeded"
    for code, _, err in outcomes:
        if code != 0:
            assert "is running in process" in err or "already succeeded" in err, err
    store = SqliteRunStore(db)
    events = store.events(run_id)
    assert [e.type for e in events].count("run_resumed") == 1
    finished = [e.node_id for e in events if e.type == "node_succeeded"]
    assert sorted(finished) == sorted({*finished}), "a node finished twice"
    assert len(finished) == 7  # six sleepers and the output, each once


def test_a_store_that_cannot_record_stops_the_run_at_once(tmp_path: Path) -> None:
    store = SqliteRunStore(tmp_path / "runs.db")
    events: list[RunEvent] = []

    def fill_the_disk(event: RunEvent) -> None:
        events.append(event)
        if isinstance(event, NodeStarted) and event.node_id == "s1":
            # A real "database or disk is full": SQLite may not grow the file any more.
            pages = store._db.execute("PRAGMA page_count").fetchone()[0]  # type: ignore[union-attr]
            store._db.execute(f"PRAGMA max_page_count = {pages}")  # type: ignore[union-attr]

    engine = Engine(make_registry(), store=store, use_cache=False)
    workflow = chain(40, 0.0)
    result = asyncio.run(engine.run(workflow, {}, subscribers=[fill_the_disk]))
    assert result.status == "failed"
    assert "could not record the run" in (result.error or "") and "full" in (result.error or "")
    started = [e.node_id for e in events if isinstance(e, NodeStarted)]
    assert len(started) < 40  # it stopped, rather than running every node unrecorded
