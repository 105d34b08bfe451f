"""A workflow's `policy.executor` on a real Ray cluster (a head and two worker nodes on
this machine): `kind: ray` sends its map items to the workers without `--cluster`, and the
command line still decides over the file (`--cluster ADDRESS`, `--no-cluster`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.cluster.control import ClusterHome
from engine.store import open_store
from engine.trace.events import NodeLog, RunStarted

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

CHILD = """\
version: 1
metadata: {name: Wrap}
inputs: [{name: item}]
nodes:
  - {id: item, kind: input}
  - {id: wrap, kind: template, config: {template: '<{{ in }}>'}}
  - {id: res, kind: output}
edges:
  - {source: item.value, target: wrap.in}
  - {source: wrap.text, target: res.value}
"""

FAN_OUT = """\
version: 1
metadata: {name: Fan out}
inputs: [{name: xs, type: array, default: [a, b, c, d]}]
nodes:
  - {id: xs, kind: input}
  - {id: each, kind: map, config: {workflow: child.interlock.yaml, result_port: res}}
  - {id: out, kind: output}
edges:
  - {source: xs.value, target: each.items}
  - {source: each.results, target: out.value}
policy:
  executor: EXECUTOR
"""


def test_policy_executor_ray_runs_map_items_on_the_cluster(
    ray_head: tuple[ClusterHome, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home, address = ray_head
    monkeypatch.setenv("INTERLOCK_DATA_DIR", str(home.folder.parent))  # the token `start` wrote
    monkeypatch.setenv("INTERLOCK_CONFIG", str(tmp_path / "no-config.toml"))  # no [cluster]
    (tmp_path / "child.interlock.yaml").write_text(CHILD)
    path = tmp_path / "fan.interlock.yaml"
    db = str(tmp_path / "runs.db")
    store = open_store(db)

    def run(executor: str, *flags: str) -> str:
        path.write_text(FAN_OUT.replace("EXECUTOR", executor))
        argv = ["run", str(path), "--json", "-q", "--no-cache", "--db", db, *flags]
        assert main(argv) == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["outputs"] == {"out": ["<a>", "<b>", "<c>", "<d>"]}
        return str(summary["run_id"])

    def item_pids(run_id: str) -> list[int | None]:
        """The process that ran each item's child run, from its recorded run_started."""
        started = [
            next(e for e in store.events(child.run_id) if isinstance(e, RunStarted))
            for child in store.child_runs(run_id)
        ]
        assert len(started) == 4  # each item recorded once, on the coordinator's store
        return [e.pid for e in started]

    def placed(run_id: str) -> list[str]:
        logs = [e.message for e in store.events(run_id) if isinstance(e, NodeLog)]
        return [m for m in logs if m.startswith("map items run on")]

    # The file alone sends the items to the cluster: they ran in the workers' processes.
    on_cluster = run(f"{{kind: ray, address: '{address}'}}")
    assert placed(on_cluster) == [
        f"map items run on the cluster at {address} (2 workers): "
        "child workflow 'Wrap' runs on workers"
    ]
    assert os.getpid() not in item_pids(on_cluster)
    assert all(pid is not None for pid in item_pids(on_cluster))
    # `kind: ray` with no address: the head `interlock cluster start` started here.
    assert placed(run("{kind: ray}"))[0].startswith(f"map items run on the cluster at {address}")
    # --cluster ADDRESS decides over the file's address (which has no cluster behind it).
    unreachable = "{kind: ray, address: '127.0.0.1:1'}"
    overridden = run(unreachable, "--cluster", address)
    assert placed(overridden)[0].startswith(f"map items run on the cluster at {address}")
    # --no-cluster, or `kind: local` over a config that says ray: the items run here.
    for executor, flags in ((unreachable, ["--no-cluster"]), ("{kind: local}", [])):
        config = tmp_path / "config.toml"
        config.write_text(f'[cluster]\nexecutor = "ray"\naddress = "{address}"\n')
        monkeypatch.setenv("INTERLOCK_CONFIG", str(config))
        here = run(executor, *flags)
        assert placed(here) == []
        assert set(item_pids(here)) == {os.getpid()}
    store.close()
