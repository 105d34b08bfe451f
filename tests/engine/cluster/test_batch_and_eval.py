"""Whole runs on a real Ray cluster (a head and two worker nodes on this machine): the rows
of `interlock run --inputs-file` with a list, and of `interlock eval`, run on the workers
and are recorded in the coordinator's SQLite store as a local run records them; runs that
ask a person stay on the coordinator."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main
from engine.cluster.control import ClusterHome
from engine.store import open_store
from engine.store.protocol import RunStore
from engine.trace.events import RunEvent, RunStarted

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

SHOUT = """\
version: 1
metadata: {name: Shout}
inputs: [{name: text, type: string, required: true}]
nodes:
  - {id: text, kind: input}
  - {id: shout, kind: template, config: {template: '{{ in | upper }}'}}
  - {id: out, kind: output}
edges:
  - {source: text.value, target: shout.in}
  - {source: shout.text, target: out.value}
"""

GATED = """\
version: 1
metadata: {name: Gated}
inputs: [{name: text, type: string, required: true}]
nodes:
  - {id: text, kind: input}
  - {id: gate, kind: approval}
  - {id: out, kind: output}
edges:
  - {source: text.value, target: gate.in}
  - {source: gate.approved, target: out.value}
"""

EVAL = """\
version: 1
name: Shout check
workflow: shout.interlock.yaml
dataset: shout.jsonl
concurrency: 2
scorers:
  - {id: same, type: exact}
"""

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon"]


@pytest.fixture
def here(
    ray_head: tuple[ClusterHome, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A folder with the workflows, rows and eval file; the head's token found as a run on
    this machine finds it; no config file."""
    home, _ = ray_head
    monkeypatch.setenv("INTERLOCK_DATA_DIR", str(home.folder.parent))
    monkeypatch.setenv("INTERLOCK_CONFIG", str(tmp_path / "no-config.toml"))
    (tmp_path / "shout.interlock.yaml").write_text(SHOUT)
    (tmp_path / "gated.interlock.yaml").write_text(GATED)
    (tmp_path / "rows.json").write_text(json.dumps([{"text": w} for w in WORDS]))
    dataset = "".join(json.dumps({"text": w, "expected": w.upper()}) + "\n" for w in WORDS)
    (tmp_path / "shout.jsonl").write_text(dataset)
    (tmp_path / "shout.eval.yaml").write_text(EVAL)
    return tmp_path


def started(store: RunStore, run_id: str) -> RunStarted:
    return next(e for e in store.events(run_id) if isinstance(e, RunStarted))


def shape(events: list[RunEvent]) -> list[tuple[str, str | None]]:
    return [(e.type, e.node_id) for e in events]


def batch(
    here: Path, flow: str, db: str, capsys: pytest.CaptureFixture[str], *flags: str
) -> tuple[int, list[dict[str, Any]]]:
    argv = ["run", str(here / flow), "--inputs-file", str(here / "rows.json"), "--json", "-q"]
    code = main([*argv, "--db", db, *flags])
    return code, json.loads(capsys.readouterr().out)


def test_a_batch_runs_its_rows_on_the_workers(
    ray_head: tuple[ClusterHome, str], here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, address = ray_head
    db = str(here / "runs.db")
    code, remote = batch(here, "shout.interlock.yaml", db, capsys, "--cluster", address)
    assert code == 0
    assert [r["outputs"] for r in remote] == [{"out": w.upper()} for w in WORDS]  # rows' order
    code, local = batch(here, "shout.interlock.yaml", db, capsys, "--no-cache")
    assert code == 0 and [r["outputs"] for r in local] == [r["outputs"] for r in remote]
    store = open_store(db)
    path = str(here / "shout.interlock.yaml")
    for there, mine in zip(remote, local, strict=True):
        # Recorded on the coordinator's store, with what a local run records...
        assert shape(store.events(there["run_id"])) == shape(store.events(mine["run_id"]))
        assert store.get_run(there["run_id"]).status == "succeeded"  # type: ignore[union-attr]
        # ...and run in a worker's process, the local one in this one.
        assert started(store, there["run_id"]).pid != os.getpid()
        assert started(store, there["run_id"]).workflow_path == path
        assert started(store, mine["run_id"]).pid == os.getpid()
    store.close()
    assert main(["show", remote[0]["run_id"], "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["outputs"] == {"out": "ALPHA"}


def test_batch_rows_that_ask_a_person_stay_on_the_coordinator(
    ray_head: tuple[ClusterHome, str], here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, address = ray_head
    db = str(here / "runs.db")
    flags = ("--cluster", address, "--approve", "deny")
    code, results = batch(here, "gated.interlock.yaml", db, capsys, *flags)
    assert code == 1  # every row's approval was refused here, by this process's approver
    assert [r["status"] for r in results] == ["failed"] * len(WORDS)
    store = open_store(db)
    assert {started(store, r["run_id"]).pid for r in results} == {os.getpid()}
    store.close()


def test_evaluation_rows_run_on_the_workers(
    ray_head: tuple[ClusterHome, str], here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, address = ray_head
    db = str(here / "runs.db")
    argv = ["eval", "run", str(here / "shout.eval.yaml"), "--json", "-q", "--db", db]
    assert main([*argv, "--cluster", address]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["variants"]["default"]["pass_rate"] == 1.0
    store = open_store(db)
    evaluation = store.list_evaluations()[0]  # type: ignore[attr-defined]
    rows = store.row_results(evaluation.eval_id)  # type: ignore[attr-defined]
    assert sorted(r.row_index for r in rows) == list(range(len(WORDS)))
    assert all(r.passed and r.run_status == "succeeded" for r in rows)
    for row in rows:  # each row's run recorded here, run in a worker's process
        assert started(store, row.run_id).pid != os.getpid()
        assert store.get_run(row.run_id) is not None
    store.close()
