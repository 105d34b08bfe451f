"""Map items whose llm node is pinned to a remote endpoint run on cluster workers (a real
head and two worker nodes), calling a real OpenAI-compatible server that asks for a key:
the coordinator passes the key from its keyring (here its environment fallback) with each
item, so without it the server refuses, and the key lands nowhere on disk: not in the
store, not in Ray's session files. Under a cost budget or the offline switch such items
stay on the coordinator."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.cluster import Cluster, RayItems
from engine.cluster.endpoints import CoordinatorEndpoints
from engine.nodes import builtin_registry
from engine.nodes.executor import ItemExecutor
from engine.providers.base import ProviderRegistry
from engine.providers.remote import Endpoint, RemoteProvider
from engine.runtime.engine import Engine, RunResult
from engine.store import open_store
from engine.store.protocol import RunStore
from engine.trace.events import NodeLog, RunEvent
from engine.workflow.model import Workflow
from local_models import ModelCatalog
from tests.support.llama_server import llama_server_in

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

KEY = "sk-interlock-" + secrets.token_hex(12)
WORDS = ["fruit", "colour", "bird", "tree", "river", "city"]


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with llama_server_in(tmp_path_factory.mktemp("keyed-server"), api_key=KEY) as url:
        yield url


def remote_map(policy: dict[str, Any] | None = None) -> Workflow:
    body = {
        "template": {
            "kind": "llm",
            "config": {
                "model": "lab/smollm2",
                "prompt": "Name a {{ in }}.",
                "max_tokens": 6,
                "temperature": 0,
            },
        },
        "result_port": "text",
        "max_parallelism": 4,
    }
    return Workflow.model_validate(
        {
            "version": 1,
            "metadata": {"name": "remote fan out"},
            "inputs": [{"name": "xs", "type": "array", "default": WORDS}],
            "nodes": [
                {"id": "xs", "kind": "input"},
                {"id": "each", "kind": "map", "config": body},
                {"id": "out", "kind": "output"},
            ],
            "edges": [
                {"source": "xs.value", "target": "each.items"},
                {"source": "each.results", "target": "out.value"},
            ],
            "policy": policy or {},
        }
    )


def run(
    flow: Workflow,
    store: RunStore,
    executor: ItemExecutor | None = None,
    providers: ProviderRegistry | None = None,
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    engine = Engine(builtin_registry(), providers, store, use_cache=False, executor=executor)
    result = asyncio.run(engine.run(flow, subscribers=[events.append]))
    return result, events


def placed(events: list[RunEvent]) -> str:
    logs = [e.message for e in events if isinstance(e, NodeLog)]
    return next(m for m in logs if m.startswith("map items run"))


def files_holding(folder: Path, secret: bytes) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if secret in path.read_bytes():
                    found.append(path)
            except OSError:  # a socket or a file Ray removed meanwhile
                continue
    return found


def test_remote_calls_run_on_workers_with_the_key_passed_per_item(
    cluster: Cluster, keyed_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = Endpoint("lab", keyed_server, ("smollm2",), 0.5, 1.5, context=2048)
    endpoints = CoordinatorEndpoints([endpoint])
    checksum = ModelCatalog(tmp_path / "data").checksum
    monkeypatch.setenv("INTERLOCK_KEY_LAB", KEY)  # no OS keyring in tests: the fallback
    db = tmp_path / "runs.db"
    store = open_store(db)
    before = [w.done for w in cluster.workers]
    result, events = run(remote_map(), store, RayItems(cluster, store, checksum, endpoints))
    assert result.status == "succeeded", result.error
    assert placed(events).startswith(f"map items run on the cluster at {cluster.address}")
    assert sum(w.done for w in cluster.workers) - sum(before) == len(WORDS)
    # The same answers, tokens and cost as calling the endpoint from here.
    here = ProviderRegistry([RemoteProvider(endpoint, KEY)])
    local, _ = run(remote_map(), open_store(":memory:"), providers=here)
    assert result.outputs == local.outputs
    assert all(isinstance(t, str) and t for t in result.outputs["out"])
    assert result.cost_usd == pytest.approx(local.cost_usd) and result.cost_usd > 0

    # The key went with each item: without one on the coordinator the server refuses.
    monkeypatch.delenv("INTERLOCK_KEY_LAB")
    refused, _ = run(remote_map(), store, RayItems(cluster, store, checksum, endpoints))
    assert refused.status == "failed"
    assert "401" in (refused.error or "")
    store.close()

    # Nowhere on disk: not in the store, not in Ray's session (logs, spilled objects).
    secret = KEY.encode()
    assert files_holding(tmp_path, secret) == []
    import ray

    assert ray.is_initialized()
    session = Path("/tmp/ray/session_latest")  # Ray's default temp dir: the head's session
    assert session.exists()
    assert files_holding(session.resolve(), secret) == []


@pytest.mark.parametrize(
    "policy",
    [
        {"budget": {"max_cost_usd": 1.0}},
        {"offline": True},
    ],
    ids=["budget", "offline"],
)
def test_remote_calls_under_spend_rules_stay_on_the_coordinator(
    cluster: Cluster, keyed_server: str, tmp_path: Path, policy: dict[str, Any]
) -> None:
    endpoint = Endpoint("lab", keyed_server, ("smollm2",), 0.5, 1.5, context=2048)
    items = RayItems(
        cluster, None, ModelCatalog(tmp_path / "data").checksum, CoordinatorEndpoints([endpoint])
    )
    before = [w.done for w in cluster.workers]
    _, events = run(remote_map(policy), open_store(":memory:"), items)
    assert placed(events).startswith("map items run on the coordinator: its items call a remote")
    assert [w.done for w in cluster.workers] == before
