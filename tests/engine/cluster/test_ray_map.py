"""Map items on a real Ray cluster (a head and two worker nodes on this machine): the same
outputs and the same recorded events as a local run, the bundled model on both workers,
governance kept on the coordinator, a missing model named, a worker killed mid-map, and
the coordinator killed mid-map and resumed on the cluster."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from engine.cluster import Cluster, RayItems
from engine.cluster.control import ClusterHome
from engine.nodes import builtin_registry
from engine.nodes.executor import ItemExecutor
from engine.providers.base import ProviderRegistry
from engine.providers.local import LocalProvider
from engine.runtime.engine import Engine, RunResult, child_label
from engine.store import open_store
from engine.store.protocol import RunStore
from engine.trace.events import MapItemDone, NodeLog, NodeToken, RunEvent
from engine.workflow.model import Workflow
from local_models import ModelCatalog
from local_models.bundled import SMOLLM2_ID, smollm2_path

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

VOLATILE = {"duration_s", "pid", "host", "started_at", "finished_at"}


def workflow(map_config: dict[str, Any], items: list[Any]) -> Workflow:
    return Workflow.model_validate(
        {
            "version": 1,
            "metadata": {"name": "fan out"},
            "inputs": [{"name": "xs", "type": "array", "default": items}],
            "nodes": [
                {"id": "xs", "kind": "input"},
                {"id": "each", "kind": "map", "config": map_config},
                {"id": "out", "kind": "output"},
            ],
            "edges": [
                {"source": "xs.value", "target": "each.items"},
                {"source": "each.results", "target": "out.value"},
            ],
        }
    )


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

GATED = """\
version: 1
metadata: {name: Gated}
inputs: [{name: item}]
nodes:
  - {id: item, kind: input}
  - {id: gate, kind: approval}
  - {id: res, kind: output}
edges:
  - {source: item.value, target: gate.in}
  - {source: gate.value, target: res.value}
"""


def catalog_with_variant(folder: Path) -> tuple[ModelCatalog, str]:
    """A coordinator catalog holding a model no worker has: SmolLM2 plus one byte."""
    variant = folder / "smol-variant.gguf"
    variant.write_bytes(smollm2_path().read_bytes() + b"\0")
    catalog = ModelCatalog(folder / "data")
    entry = catalog.import_file(variant, copy=False, bench=False)
    return catalog, entry.model_id


def run(
    flow: Workflow,
    store: RunStore,
    base_dir: Path | None,
    executor: ItemExecutor | None = None,
    providers: ProviderRegistry | None = None,
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    engine = Engine(builtin_registry(), providers, store, use_cache=False, executor=executor)
    result = asyncio.run(engine.run(flow, base_dir=base_dir, subscribers=[events.append]))
    return result, events


def shape(events: list[RunEvent]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """Events without what differs between two runs of the same thing (ids, times, hosts);
    map items, which end in any order when they run in parallel, last, by index."""
    out = []
    items = []
    for event in events:
        payload = {k: v for k, v in event.payload().items() if k not in VOLATILE}
        payload.pop("parent_run_id", None)
        payload.pop("workflow_path", None)
        if isinstance(event, NodeLog) and event.message.startswith("map items run on"):
            continue  # where the items ran: the one line a cluster run adds
        if isinstance(event, MapItemDone):
            payload.pop("worker")  # where it ran: checked on its own
            items.append((event.type, event.node_id, payload))
            continue
        out.append((event.type, event.node_id, payload))
    return out + sorted(items, key=lambda item: (str(item[1]), item[2]["index"]))


def children(store: RunStore, run_id: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for record in store.child_runs(run_id):
        label = child_label(run_id, record.run_id)
        assert label not in found, f"item {label} recorded twice"
        found[label] = shape(store.events(record.run_id))
    return found


def test_a_map_on_the_cluster_records_what_a_local_run_records(
    cluster: Cluster, tmp_path: Path
) -> None:
    (tmp_path / "child.interlock.yaml").write_text(CHILD)
    items = [f"item {i}" for i in range(50)]
    checksum = ModelCatalog(tmp_path / "data").checksum
    by_file = {"workflow": "child.interlock.yaml", "result_port": "res"}
    by_template = {"template": {"kind": "template", "config": {"template": "<{{ in }}>"}}}
    for body in (by_file, by_template):
        flow = workflow(body, items)
        here = open_store(tmp_path / "local.db")
        there = open_store(tmp_path / "ray.db")
        local, local_events = run(flow, here, tmp_path)
        remote, remote_events = run(flow, there, tmp_path, RayItems(cluster, there, checksum))
        assert remote.status == local.status == "succeeded"
        assert remote.outputs == local.outputs == {"out": [f"<{item}>" for item in items]}
        assert shape(remote_events) == shape(local_events)
        names = {w.name for w in cluster.workers}
        assert {e.worker for e in remote_events if isinstance(e, MapItemDone)} <= names
        assert {e.worker for e in local_events if isinstance(e, MapItemDone)} == {None}
        placed = [e.message for e in remote_events if isinstance(e, NodeLog)]
        assert placed[0].startswith(f"map items run on the cluster at {cluster.address}")
        # Each item's child run is recorded once, with the events a local child records.
        assert children(there, remote.run_id) == children(here, local.run_id)
        assert len(children(there, remote.run_id)) == (50 if "workflow" in body else 0)
        here.close()
        there.close()


def test_a_map_on_the_bundled_model_runs_on_both_workers(cluster: Cluster, tmp_path: Path) -> None:
    body = {
        "template": {
            "kind": "llm",
            "config": {"model": SMOLLM2_ID, "prompt": "Name a {{ in }}.", "max_tokens": 6},
        },
        "result_port": "text",
    }
    flow = workflow(body, ["fruit", "colour", "bird", "tree", "river", "city"])
    catalog = ModelCatalog(tmp_path / "data")
    providers = ProviderRegistry([LocalProvider(catalog)], default_model=SMOLLM2_ID)
    before = [w.done for w in cluster.workers]
    local, local_events = run(flow, open_store(":memory:"), None, providers=providers)
    remote, remote_events = run(
        flow, open_store(":memory:"), None, RayItems(cluster, None, catalog.checksum)
    )
    assert remote.status == local.status == "succeeded"
    assert remote.outputs == local.outputs
    assert all(isinstance(text, str) and text for text in remote.outputs["out"])
    assert remote.completion_tokens == local.completion_tokens > 0
    tokens = [e for e in remote_events if isinstance(e, NodeToken)]
    assert len(tokens) == len([e for e in local_events if isinstance(e, NodeToken)]) > 0
    assert all(w.done > n for w, n in zip(cluster.workers, before, strict=True))
    # Each item's event names the worker that ran it: as many per worker as it answered.
    ran = [e.worker for e in remote_events if isinstance(e, MapItemDone)]
    assert {w.name: ran.count(w.name) for w in cluster.workers} == {
        w.name: w.done - n for w, n in zip(cluster.workers, before, strict=True)
    }


def test_items_that_ask_a_person_stay_on_the_coordinator(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "gated.interlock.yaml").write_text(GATED)
    flow = workflow({"workflow": "gated.interlock.yaml", "result_port": "res"}, ["a", "b"])
    before = [w.done for w in cluster.workers]
    store = open_store(":memory:")
    checksum = ModelCatalog(tmp_path / "data").checksum
    result, events = run(flow, store, tmp_path, RayItems(cluster, store, checksum))
    logs = [e.message for e in events if isinstance(e, NodeLog)]
    assert logs[0] == (
        "map items run on the coordinator: node 'gate' (approval) asks a person: "
        "governance stays on the coordinator"
    )
    assert [w.done for w in cluster.workers] == before  # nothing was sent out
    assert result.status == "failed"  # the default approver refuses: it ran here
    assert len(store.child_runs(result.run_id)) == 2


def test_a_worker_without_the_model_says_which(cluster: Cluster, tmp_path: Path) -> None:
    catalog, variant = catalog_with_variant(tmp_path)
    body = {"template": {"kind": "llm", "config": {"model": variant, "prompt": "{{ in }}"}}}
    flow = workflow(body, ["x"])
    result, _ = run(flow, open_store(":memory:"), None, RayItems(cluster, None, catalog.checksum))
    assert result.status == "failed"
    assert result.error is not None
    assert f"has no local model '{variant}' (sha256 " in result.error
    assert "interlock models import" in result.error


def test_an_item_on_a_killed_worker_runs_again_on_another(
    ray_head: tuple[ClusterHome, str], tmp_path: Path
) -> None:
    """200 items on the bundled model across both workers; one worker is killed a quarter
    of the way through. The map completes with every item's result recorded once."""
    home, address = ray_head
    own = Cluster.connect(address, token_path=home.token, in_flight=2)  # fresh actors
    body = {
        "template": {
            "kind": "llm",
            "config": {"model": SMOLLM2_ID, "prompt": "Count to {{ in }}.", "max_tokens": 4},
        },
        "result_port": "text",
        "max_parallelism": 4,
    }
    count = 200
    flow = workflow(body, list(range(count)))
    catalog = ModelCatalog(tmp_path / "data")
    killed: list[str] = []
    done_before_kill: list[int] = []

    def kill_a_busy_worker(event: RunEvent) -> None:
        """At the 50th finished item, kill the worker with the most items in flight."""
        if killed or not isinstance(event, MapItemDone):
            return
        done_before_kill.append(event.index)
        if len(done_before_kill) < count // 4:
            return
        victim = max(own.workers, key=lambda w: w.busy)
        assert victim.busy > 0
        killed.append(victim.name)
        os.kill(victim.pid, signal.SIGKILL)

    engine = Engine(
        builtin_registry(),
        store=open_store(":memory:"),
        use_cache=False,
        executor=RayItems(own, None, catalog.checksum),
    )
    events: list[RunEvent] = []
    try:
        result = asyncio.run(engine.run(flow, subscribers=[kill_a_busy_worker, events.append]))
        alive = [w.alive for w in own.workers]
        served = [w.done for w in own.workers]
    finally:
        own.close()
    assert killed
    assert result.status == "succeeded", result.error
    texts = result.outputs["out"]
    assert len(texts) == count and all(isinstance(t, str) and t for t in texts)
    finished = [e.index for e in events if isinstance(e, MapItemDone)]
    assert sorted(finished) == list(range(count))  # each item's result recorded once
    lost = [e.message for e in events if isinstance(e, NodeLog) and "was lost" in e.message]
    assert lost and all(f"lost with worker {killed[0]}" in m for m in lost)
    assert alive.count(False) == 1
    assert all(n > 0 for n in served)  # both workers served items before the kill
    providers = ProviderRegistry([LocalProvider(catalog)], default_model=SMOLLM2_ID)
    local, _ = run(flow, open_store(":memory:"), None, providers=providers)
    assert texts == local.outputs["out"]  # each item's result once, in its place
    assert result.completion_tokens == local.completion_tokens  # a lost attempt adds none


def test_a_killed_coordinator_resumes_on_the_cluster_running_only_unfinished_items(
    ray_head: tuple[ClusterHome, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`interlock run --cluster` SIGKILLed mid-map; `interlock resume --cluster` keeps the
    items the killed run recorded and sends only the rest to the workers."""
    import tests.engine.test_crash_resume as crash
    from tests.engine.test_crash_resume import interlock, kill_when, newest_run, read_events
    from tests.engine.test_map_resume import TOPICS, map_items_committed, model_map_file

    home, address = ray_head
    monkeypatch.setenv("INTERLOCK_DATA_DIR", str(home.folder.parent))  # where `start` wrote
    topics = [f"{topic} {n}" for n in range(4) for topic in TOPICS]
    path = model_map_file(tmp_path, topics, max_parallelism=4)
    reference = interlock(
        "run", path, "--no-cluster", "--db", tmp_path / "ref.db", "--json", "-q", timeout=300
    )
    assert reference.returncode == 0, reference.stderr
    expected = json.loads(reference.stdout)

    db = tmp_path / "runs.db"
    monkeypatch.setattr(crash, "committed_events", map_items_committed)
    kill_when(["run", str(path), "--no-cache", "--cluster"], db, 6)
    run_id, status = newest_run(db)
    assert status == "running"
    before = [e for e in read_events(db, run_id) if e.type == "map_item"]
    assert 6 <= len(before) < len(topics)

    done = interlock("resume", run_id, "--cluster", "--db", db, "--json", "-q", timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded"
    assert summary["outputs"] == expected["outputs"]
    events = read_events(db, run_id)
    items = [e for e in events if e.type == "map_item"]
    assert sorted(e.data["index"] for e in items) == list(range(len(topics)))  # once each
    assert items[: len(before)] == before  # what the killed run finished stayed
    logs = [str(e.data.get("message")) for e in events if e.type == "node_log"]
    assert f"resumed: {len(before)} of {len(topics)} items were done; running the rest" in logs
    placed = [m for m in logs if m.startswith(f"map items run on the cluster at {address}")]
    assert len(placed) == 2  # the killed attempt's and the resumed one's
    used = sum(e.data["prompt_tokens"] + e.data["completion_tokens"] for e in items)
    assert summary["tokens"] == used == expected["tokens"]


def test_interlock_run_with_cluster_uses_the_head_started_here(
    ray_head: tuple[ClusterHome, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.cli.main import main

    home, address = ray_head
    monkeypatch.setenv("INTERLOCK_DATA_DIR", str(home.folder.parent))  # where `start` wrote
    (tmp_path / "child.interlock.yaml").write_text(CHILD)
    flow = workflow({"workflow": "child.interlock.yaml", "result_port": "res"}, ["a", "b"])
    path = tmp_path / "fan.interlock.yaml"
    path.write_text(flow.model_dump_json())  # JSON is YAML
    db = str(tmp_path / "runs.db")
    assert main(["run", str(path), "--cluster", "--json", "--quiet", "--db", db]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["outputs"] == {"out": ["<a>", "<b>"]}
    store = open_store(db)
    logs = [e.message for e in store.events(summary["run_id"]) if isinstance(e, NodeLog)]
    assert logs[0].startswith(f"map items run on the cluster at {address} (2 workers)")
    assert len(store.child_runs(summary["run_id"])) == 2
    # The same through the config's [cluster] setting, and --no-cluster to stay here.
    config = tmp_path / "config.toml"
    config.write_text(f'[cluster]\nexecutor = "ray"\naddress = "{address}"\n')
    monkeypatch.setenv("INTERLOCK_CONFIG", str(config))
    for flag, on_cluster in (([], True), (["--no-cluster"], False)):
        assert main(["run", str(path), "--json", "-q", "--no-cache", "--db", db, *flag]) == 0
        run_id = json.loads(capsys.readouterr().out)["run_id"]
        logs = [e.message for e in store.events(run_id) if isinstance(e, NodeLog)]
        placed = [m for m in logs if m.startswith(f"map items run on the cluster at {address}")]
        assert len(placed) == (1 if on_cluster else 0)
    # A run whose map failed (its child's output was not JSON) resumes on the cluster.
    broken = CHILD.replace("'<{{ in }}>'}", "'<{{ in }}>', output_type: object}")
    (tmp_path / "child.interlock.yaml").write_text(broken)
    (tmp_path / "xs.json").write_text('{"xs": ["c", "d"]}')  # new inputs: nothing cached
    inputs = ["--inputs-file", str(tmp_path / "xs.json")]
    assert main(["run", str(path), *inputs, "--json", "-q", "--no-cluster", "--db", db]) == 1
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    (tmp_path / "child.interlock.yaml").write_text(CHILD)
    assert main(["resume", run_id, "--cluster", "--json", "-q", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["outputs"] == {"out": ["<c>", "<d>"]}
    logs = [e.message for e in store.events(run_id) if isinstance(e, NodeLog)]
    assert sum(m.startswith(f"map items run on the cluster at {address}") for m in logs) == 1
    store.close()
    assert main(["cluster", "status"]) == 0
    assert "2.0 interlock_worker" in capsys.readouterr().out


def test_a_map_whose_workers_are_all_lost_is_interrupted_and_resumes_here(
    ray_head: tuple[ClusterHome, str], tmp_path: Path
) -> None:
    """Both workers' item processes killed after 5 items: no worker is left, so the run
    stops as interrupted (not failed); a resume in this process runs only the other items
    and ends as a local run of the whole map does."""
    home, address = ray_head
    own = Cluster.connect(address, token_path=home.token, in_flight=2)  # fresh actors
    body = {
        "template": {
            "kind": "llm",
            "config": {"model": SMOLLM2_ID, "prompt": "Count to {{ in }}.", "max_tokens": 4},
        },
        "result_port": "text",
        "max_parallelism": 4,
    }
    count = 40
    flow = workflow(body, list(range(count)))
    catalog = ModelCatalog(tmp_path / "data")
    store = open_store(tmp_path / "runs.db")
    finished: list[int] = []

    def kill_every_worker(event: RunEvent) -> None:
        if not isinstance(event, MapItemDone) or len(finished) >= 5:
            return
        finished.append(event.index)
        if len(finished) == 5:
            for worker in own.workers:
                os.kill(worker.pid, signal.SIGKILL)

    engine = Engine(
        builtin_registry(),
        store=store,
        use_cache=False,
        executor=RayItems(own, store, catalog.checksum),
    )
    try:
        result = asyncio.run(engine.run(flow, subscribers=[kill_every_worker]))
    finally:
        own.close()
    assert result.status == "interrupted", result.error
    assert address in (result.error or "") and "worker" in (result.error or "")
    kept = [e for e in store.events(result.run_id) if isinstance(e, MapItemDone)]
    assert 5 <= len(kept) < count

    providers = ProviderRegistry([LocalProvider(catalog)], default_model=SMOLLM2_ID)
    here = Engine(builtin_registry(), providers, store, use_cache=False)
    resumed = asyncio.run(here.resume(result.run_id))
    assert resumed.status == "succeeded", resumed.error
    items = [e for e in store.events(result.run_id) if isinstance(e, MapItemDone)]
    assert sorted(e.index for e in items) == list(range(count))  # each item once
    assert items[: len(kept)] == kept  # what the workers finished stayed
    local, _ = run(flow, open_store(":memory:"), None, providers=providers)
    assert resumed.outputs == local.outputs
    assert resumed.tokens == local.tokens  # the kept items counted once
    store.close()
