"""The app runs a workflow whose `policy.executor` names a Ray cluster on that cluster (a
real head and two worker nodes on this machine): its map items run on the workers, the
status bar says where the run's items go and how many each worker has done in this run,
the connection is kept for the next run, and a workflow without it runs here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engine.cluster.control import ClusterHome
from engine.trace.events import MapItemDone, NodeLog
from tests.desktop.run_helpers import wait_finished
from tests.support.ray_head import ray_head_in

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ClusterHome, str]]:
    with ray_head_in(tmp_path_factory.mktemp("data")) as head:
        yield head


def fan_out(folder: Path, name: str, count: int, address: str | None) -> Path:
    """A map of a template over `count` words; on the cluster at `address` when given."""
    data: dict[str, Any] = {
        "version": 1,
        "metadata": {"name": name},
        "inputs": [{"name": "words", "type": "array", "default": [f"w{i}" for i in range(count)]}],
        "nodes": [
            {"id": "words", "kind": "input", "position": {"x": 0, "y": 0}},
            {
                "id": "each",
                "kind": "map",
                "position": {"x": 250, "y": 0},
                "config": {
                    "template": {"kind": "template", "config": {"template": "<{{ in }}>"}},
                    "max_parallelism": 8,
                },
            },
            {"id": "out", "kind": "output", "position": {"x": 500, "y": 0}},
        ],
        "edges": [
            {"source": "words.value", "target": "each.items"},
            {"source": "each.results", "target": "out.value"},
        ],
    }
    if address is not None:
        data["policy"] = {"executor": {"kind": "ray", "address": address}}
    path = folder / f"{name}.interlock.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run(qtbot: QtBot, window: MainWindow, path: Path) -> Any:
    window.open_path(path)
    window.actions_.run.trigger()
    result = wait_finished(qtbot, window, timeout=240_000)  # the first connects: seconds
    assert result is not None and result.status == "succeeded", result
    return result


def test_a_workflow_that_names_a_cluster_runs_its_map_items_there(
    qtbot: QtBot,
    qloop: Any,
    window: MainWindow,
    ray_head: tuple[ClusterHome, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, address = ray_head
    config = tmp_path / "config.toml"
    config.write_text(f'[cluster]\ntoken_file = "{home.token}"\n', encoding="utf-8")
    monkeypatch.setenv("INTERLOCK_CONFIG", str(config))
    status, controller = window.run_ui.status, window.run_controller

    first = run(qtbot, window, fan_out(tmp_path, "twenty", 20, address))
    assert first.outputs == {"out": [f"<w{i}>" for i in range(20)]}
    cluster = controller.cluster
    assert cluster is not None and cluster.address == address
    store = controller.session.store
    events = store.events(first.run_id)
    logs = [e.message for e in events if isinstance(e, NodeLog)]
    assert logs[0].startswith(f"map items run on the cluster at {address} (2 workers)")
    assert sorted(e.index for e in events if isinstance(e, MapItemDone)) == list(range(20))
    shown = status.where.text()
    assert shown.startswith("cluster: 2 workers (") and shown.endswith(" items)")
    per_worker = [int(n) for n in shown.split("(")[1].split(" items")[0].split(" · ")]
    assert sum(per_worker) == 20 and all(n > 0 for n in per_worker)  # this run's, by worker
    assert address in status.where.toolTip()
    assert all(w.pid != os.getpid() for w in cluster.workers)
    # The map node's Run tab: its items, and how many each worker ran (as the status bar).
    window.scene.node_items["each"].setSelected(True)
    view = window.run_ui.node_view
    assert view.node_id == "each" and "20/20 items" in view.header.text()
    tree = view.details
    section = next(
        tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
        if tree.topLevelItem(i).text(0) == "Map items"
    )  # fmt: skip
    items = section.child(0)
    assert (items.text(0), items.text(1)) == ("items", "20 done")
    places = {items.child(i).text(0): items.child(i).text(1) for i in range(items.childCount())}
    names = [w.name for w in cluster.live]  # in the status bar's order
    assert places == {f"on {n}": f"{c} items" for n, c in zip(names, per_worker, strict=True)}

    second = run(qtbot, window, fan_out(tmp_path, "seven", 7, address))
    assert second.outputs == {"out": [f"<w{i}>" for i in range(7)]}
    assert controller.cluster is cluster  # the connection was kept: no new actors
    per_worker = [int(n) for n in status.where.text().split("(")[1].split(" items")[0].split(" · ")]
    assert sum(per_worker) == 7  # counted from this run's start

    here = run(qtbot, window, fan_out(tmp_path, "local", 3, None))
    assert here.outputs == {"out": ["<w0>", "<w1>", "<w2>"]}
    assert controller.cluster is None and status.where.text() == "local"
    logs = [e.message for e in store.events(here.run_id) if isinstance(e, NodeLog)]
    assert not any(m.startswith("map items run on the cluster") for m in logs)
