"""Map items on Ray vs in this process: a 2,000-item map of template nodes (and a small map
on the bundled model), local vs a Ray head with 2 worker nodes started on this machine.
Prints ms per item, the ratio, the wall time Ray adds per item and the coordinator's CPU
per item (what bounds throughput on many machines; see bench/README.md).

Run: .venv/bin/python bench/ray_map.py [--items 2000] [--model-items 24] [--rounds 3]
     [--address HOST:PORT --token FILE]   (an existing cluster instead of a fresh one)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.cluster import Cluster, RayItems  # noqa: E402
from engine.cluster.control import ClusterHome, start, stop  # noqa: E402
from engine.nodes import builtin_registry  # noqa: E402
from engine.nodes.executor import ItemExecutor  # noqa: E402
from engine.providers.base import ProviderRegistry  # noqa: E402
from engine.providers.local import LocalProvider  # noqa: E402
from engine.runtime.engine import Engine  # noqa: E402
from engine.workflow.model import Workflow  # noqa: E402
from local_models import ModelCatalog  # noqa: E402
from local_models.bundled import SMOLLM2_ID  # noqa: E402


def fan_out(template: dict[str, Any], items: int, parallelism: int) -> Workflow:
    return Workflow.model_validate(
        {
            "version": 1,
            "metadata": {"name": "bench map"},
            "inputs": [{"name": "xs", "type": "array", "default": list(range(items))}],
            "nodes": [
                {"id": "xs", "kind": "input"},
                {
                    "id": "each",
                    "kind": "map",
                    "config": {"template": template, "max_parallelism": parallelism},
                },
                {"id": "out", "kind": "output"},
            ],
            "edges": [
                {"source": "xs.value", "target": "each.items"},
                {"source": "each.results", "target": "out.value"},
            ],
        }
    )


def timed(engine: Engine, flow: Workflow) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of one run."""
    prepared = engine.prepare(flow)
    wall, cpu = time.perf_counter(), time.process_time()
    result = asyncio.run(engine.run(prepared))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.status == "succeeded", result.error
    return wall, cpu


def compare(
    label: str,
    flow: Workflow,
    items: int,
    local: Engine,
    remote: Engine,
    rounds: int,
) -> None:
    timed(local, flow)  # warm-up: model loads, actors' first items
    timed(remote, flow)
    walls: dict[str, list[float]] = {"local": [], "ray": []}
    cpus: dict[str, list[float]] = {"local": [], "ray": []}
    for _ in range(rounds):  # alternate, so a change of machine load hits both alike
        for name, engine in (("local", local), ("ray", remote)):
            wall, cpu = timed(engine, flow)
            walls[name].append(wall)
            cpus[name].append(cpu)
    ms = {k: statistics.median(v) * 1000 / items for k, v in walls.items()}
    cpu_ms = {k: statistics.median(v) * 1000 / items for k, v in cpus.items()}
    print(f"\n{label}: {items} items, median of {rounds}")
    print(f"  local        {ms['local']:8.3f} ms/item wall  {cpu_ms['local']:7.3f} ms/item CPU")
    print(f"  ray (2 wkrs) {ms['ray']:8.3f} ms/item wall  {cpu_ms['ray']:7.3f} ms/item CPU here")
    print(f"  ray / local  {ms['ray'] / ms['local']:8.2f}x")
    print(f"  Ray adds     {ms['ray'] - ms['local']:8.3f} ms/item wall (goal <= 2 ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--model-items", type=int, default=24)
    parser.add_argument("--parallelism", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--address")
    parser.add_argument("--token")
    args = parser.parse_args()

    home = ClusterHome(Path(tempfile.mkdtemp(prefix="interlock-bench-")))
    began = time.perf_counter()
    address = args.address or start(home, workers=2, port=6398, cpus=1)
    print(f"cluster at {address} ready in {time.perf_counter() - began:.1f}s")
    try:
        began = time.perf_counter()
        token = Path(args.token) if args.token else home.token
        cluster = Cluster.connect(address, token_path=token, in_flight=32)
        print(f"connected, item actors ready in {time.perf_counter() - began:.1f}s")
        catalog = ModelCatalog()
        providers = ProviderRegistry([LocalProvider(catalog)], default_model=SMOLLM2_ID)
        items: ItemExecutor = RayItems(cluster, None, catalog.checksum)
        registry = builtin_registry()
        local = Engine(registry, providers, None, use_cache=False)
        remote = Engine(registry, providers, None, use_cache=False, executor=items)
        template = {"kind": "template", "config": {"template": "<{{ in }}>"}}
        flow = fan_out(template, args.items, args.parallelism)
        compare("template map", flow, args.items, local, remote, args.rounds)
        if args.model_items:
            llm = {
                "kind": "llm",
                "config": {"model": SMOLLM2_ID, "prompt": "Count to {{ in }}.", "max_tokens": 8},
            }
            flow = fan_out(llm, args.model_items, args.parallelism)
            compare("model map (SmolLM2, 8 tokens)", flow, args.model_items, local, remote, 1)
        cluster.close()
    finally:
        if not args.address:
            import ray

            ray.shutdown()
            stop(home)


if __name__ == "__main__":
    main()
