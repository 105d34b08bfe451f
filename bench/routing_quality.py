"""Routing quality: 110 labelled routine tasks (bench/data/routing_tasks.jsonl: sentiment of
short reviews, order id + city extraction) run always-local (SmolLM2), always-remote (Gemma 3
270M behind llama_cpp.server; a base model, so a few-shot completion prompt) and as
Interlock's cascade (local first, escalate on schema failure / low confidence).

    .venv/bin/python bench/routing_quality.py [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from routing_overhead import llama_server  # noqa: E402

from engine.config import dumps_toml  # noqa: E402
from engine.nodes import builtin_registry  # noqa: E402
from engine.providers.base import ProviderRegistry  # noqa: E402
from engine.providers.local import LocalProvider  # noqa: E402
from engine.providers.remote import RemoteProvider, load_endpoints  # noqa: E402
from engine.routing.events import ModelCall  # noqa: E402
from engine.runtime.engine import Engine  # noqa: E402
from engine.runtime.events import RunEvent  # noqa: E402
from engine.workflow.model import Workflow  # noqa: E402
from local_models import ModelCatalog  # noqa: E402
from local_models.bundled import SMOLLM2_ID, gemma3_path  # noqa: E402

DATA = ROOT / "bench" / "data" / "routing_tasks.jsonl"
PRICES = {"price_in": 0.15, "price_out": 0.60}
"""USD per 1M tokens for the remote endpoint, as if it were a small hosted model."""

SENTIMENT = (
    "Classify the sentiment of each review as JSON.\n\n"
    "Review: The blender is fantastic and quiet.\n"
    'Answer: {"sentiment": "positive"}\n\n'
    "Review: The lamp flickers and the switch broke.\n"
    'Answer: {"sentiment": "negative"}\n\n'
    "Review: {{ text }}\nAnswer:"
)
EXTRACT = (
    "Extract the order number and the city as JSON.\n\n"
    "Text: Order 2231 for Sam Green was shipped to Bergen today.\n"
    'Answer: {"order_id": "2231", "city": "Bergen"}\n\n'
    "Text: Customer Ana Ruiz from Seville asked about order 7710.\n"
    'Answer: {"order_id": "7710", "city": "Seville"}\n\n'
    "Text: {{ text }}\nAnswer:"
)
SCHEMAS = {
    "sentiment": {
        "type": "object",
        "properties": {"sentiment": {"enum": ["positive", "negative"]}},
        "required": ["sentiment"],
        "additionalProperties": False,
    },
    "extract": {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "pattern": "^[0-9]{4}$"},
            "city": {"type": "string", "minLength": 2},
        },
        "required": ["order_id", "city"],
        "additionalProperties": False,
    },
}


def workflow(kind: str, route: dict[str, Any]) -> Workflow:
    config = {
        "inputs": ["text"],
        "mode": "completion",
        "prompt": SENTIMENT if kind == "sentiment" else EXTRACT,
        "stop": ["\n"],
        "max_tokens": 32,
        "output_schema": SCHEMAS[kind],
        "route": route,
    }
    return Workflow.model_validate({
        "metadata": {"name": f"bench-{kind}"},
        "inputs": [{"name": "text", "required": True}],
        "nodes": [
            {"id": "text", "kind": "input"},
            {"id": "ask", "kind": "llm", "config": config},
            {"id": "out", "kind": "output"},
        ],
        "edges": [{"source": "text.value", "target": "ask.text"},
                  {"source": "ask.json", "target": "out.value"}],
    })  # fmt: skip


def correct(task: dict[str, Any], value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if task["kind"] == "sentiment":
        return bool(value.get("sentiment") == task["label"])
    return all(
        str(value.get(k, "")).strip().lower() == v.lower() for k, v in task["fields"].items()
    )


async def run_mode(
    tasks: list[dict[str, Any]], providers: list[Any], route: dict[str, Any]
) -> dict[str, float]:
    engine = Engine(builtin_registry(), ProviderRegistry(providers, SMOLLM2_ID), use_cache=False)
    right = remote_tasks = remote_calls = 0
    cost = 0.0
    started = time.perf_counter()
    for task in tasks:
        events: list[RunEvent] = []
        result = await engine.run(
            workflow(task["kind"], route), {"text": task["text"]}, subscribers=[events.append]
        )
        right += correct(task, result.outputs.get("out")) if result.status == "succeeded" else 0
        calls = [e for e in events if isinstance(e, ModelCall)]
        remote_calls += sum(c.remote for c in calls)
        remote_tasks += any(c.remote for c in calls)
        cost += sum(c.cost_usd for c in calls)
    n = len(tasks)
    return {"accuracy": right / n, "remote_share": remote_tasks / n, "remote_calls": remote_calls,
            "cost_usd": cost, "seconds": time.perf_counter() - started}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="first N of each kind")
    args = parser.parse_args()
    tasks = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    if args.limit:
        tasks = [t for t in tasks if t["kind"] == "sentiment"][: args.limit] + [
            t for t in tasks if t["kind"] == "extract"
        ][: args.limit]
    tmp = Path(tempfile.mkdtemp(prefix="routing-quality-"))
    grammar = LocalProvider(ModelCatalog(tmp / "grammar"))
    free_catalog = ModelCatalog(tmp / "free")
    free_catalog.update_profile(SMOLLM2_ID, json_strategy="validate_retry")
    free = LocalProvider(free_catalog)
    with llama_server(gemma3_path()) as url:
        endpoint = {"url": url, "models": ["gemma3-270m"], "tier": "hard", "context": 2048,
                    "json_mode": "none", **PRICES}  # fmt: skip
        config = tmp / "config.toml"
        config.write_text(dumps_toml({"endpoints": {"lab": endpoint}}))
        os.environ["INTERLOCK_CONFIG"] = str(config)
        (ep,) = load_endpoints()
        remote = RemoteProvider(ep)
        escalate = {
            "escalate": {"on_schema_failure": True, "min_confidence": 0.5, "to": "lab/gemma3-270m"}
        }
        modes = [
            ("always-local (SmolLM2, grammar)", [grammar, remote], {"model": SMOLLM2_ID}),
            ("always-local (SmolLM2, no grammar)", [free, remote], {"model": SMOLLM2_ID}),
            ("always-remote (Gemma 3 270M)", [grammar, remote], {"model": "lab/gemma3-270m"}),
            ("cascade: SmolLM2 grammar -> Gemma", [grammar, remote], escalate),
            ("cascade: SmolLM2 no grammar -> Gemma", [free, remote], escalate),
        ]
        print(f"{len(tasks)} tasks; remote prices ${PRICES['price_in']}/${PRICES['price_out']} "
              "per 1M tokens (endpoint config)\n")  # fmt: skip
        print("| mode | accuracy | remote-call share | remote calls | cost (USD) | seconds |")
        print("|---|---|---|---|---|---|")
        for label, providers, route in modes:
            row = asyncio.run(run_mode(tasks, providers, route))
            print(f"| {label} | {row['accuracy']:.1%} | {row['remote_share']:.1%} | "
                  f"{row['remote_calls']:.0f} | {row['cost_usd']:.6f} | {row['seconds']:.1f} |",
                  flush=True)  # fmt: skip
    grammar.close()
    free.close()


if __name__ == "__main__":
    main()
