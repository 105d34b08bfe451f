"""The disk fills up while a run is being recorded: the run stops, the CLI says so in
plain words (no traceback), and the runs recorded before are intact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.engine.hostile.cli import assert_no_traceback, cli_env, interlock

WORKFLOW = {
    "version": 1,
    "metadata": {"name": "big"},
    "inputs": [{"name": "n", "type": "integer", "default": 10}],
    "nodes": [
        {"id": "n", "kind": "input"},
        {
            "id": "make",
            "kind": "template",
            "config": {"inputs": ["n"], "template": "{{ 'x' * n }}"},
        },
        {"id": "out", "kind": "output"},
    ],
    "edges": [
        {"source": "n.value", "target": "make.n"},
        {"source": "make.text", "target": "out.value"},
    ],
}


@pytest.mark.slow
def test_a_full_disk_stops_the_run_with_a_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "big.interlock.yaml"
    path.write_text(yaml.safe_dump(WORKFLOW, sort_keys=False))
    env = cli_env(tmp_path)
    first = interlock(env, "run", str(path), "--json", "-q")
    assert first.code == 0, first.text
    first_id = json.loads(first.out)["run_id"]
    db = Path(env["INTERLOCK_DB"])
    limit = max(p.stat().st_size for p in db.parent.glob(db.name + "*")) + 64 * 1024

    full = {**env, "TEST_FILE_SIZE_LIMIT": str(limit)}
    done = interlock(full, "run", str(path), "--input", "n=1500000", "--no-cache")
    assert_no_traceback(done)
    assert done.code == 1, done.text
    assert "could not be written" in done.err or "disk is full" in done.err, done.err
    assert "stopped because it could not be recorded" in done.err
    assert "earlier runs are intact" in done.err

    runs = interlock(env, "runs", "--json")
    assert runs.code == 0, runs.text
    status = {r["run_id"]: r["status"] for r in json.loads(runs.out)}
    assert status[first_id] == "succeeded"
    shown = interlock(env, "show", first_id)
    assert shown.code == 0 and "output out" in shown.out, shown.text
