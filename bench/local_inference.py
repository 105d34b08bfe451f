"""Local inference speed: the `local_models` pool against direct llama-cpp-python.

For each bundled model: TTFT on a fresh model (load excluded), TTFT when the prompt shares a
long prefix with the previous one (KV cache reuse), and decode tokens/s; pool / direct ratios.
Then, on SmolLM2, JSON-schema output by grammar vs free generation + validate + 1 retry.

    .venv/bin/python bench/local_inference.py [--skip-json] [--json-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from llama_cpp import Llama

from local_models import GEMMA3_ID, SMOLLM2_ID, InferencePool, ModelCatalog
from local_models.hardware import physical_cores

PREFIX = (
    "You are a careful assistant for a logistics company. Shipments leave the Rotterdam "
    "warehouse every weekday at 06:00 and 14:00. Express parcels go on the 06:00 truck. "
    "Refrigerated goods need a cooling box and must be booked a day ahead. Returns are "
    "accepted within thirty days with the original label. Oversized items over two metres "
    "travel by freight and take three extra days. Customs papers are needed outside the EU. "
) * 3
QUESTIONS = ("When does the express truck leave?", "How long do oversized items take?")
MAX_TOKENS = 64
N_CTX = 2048


def prompt_for(question: str) -> str:
    """The completion prompt (Gemma, a base model); SmolLM2 gets `messages_for` instead."""
    return f"{PREFIX}\nQuestion: {question}\nAnswer:"


def messages_for(question: str) -> Any:
    return [{"role": "system", "content": PREFIX}, {"role": "user", "content": question}]


def direct_run(llm: Llama, model_id: str, question: str) -> tuple[float, float]:
    """TTFT and decode tokens/s of one streamed request straight on llama-cpp-python."""
    start = time.perf_counter()
    if model_id == SMOLLM2_ID:
        stream: Any = llm.create_chat_completion(
            messages_for(question), max_tokens=MAX_TOKENS, temperature=0.0, stream=True
        )
        texts = (c["choices"][0]["delta"].get("content") for c in stream)
    else:
        stream = llm.create_completion(
            prompt_for(question), max_tokens=MAX_TOKENS, temperature=0.0, stream=True
        )
        texts = (c["choices"][0]["text"] for c in stream)
    first = last = None
    pieces = []
    for text in texts:
        if text:
            last = time.perf_counter()
            first = first or last
            pieces.append(text)
    assert first is not None and last is not None
    tokens = len(llm.tokenize("".join(pieces).encode(), add_bos=False, special=True))
    return first - start, (tokens - 1) / (last - first) if last > first else 0.0


async def pool_run(pool: InferencePool, model_id: str, question: str) -> tuple[float, float]:
    if model_id == SMOLLM2_ID:
        r = await pool.chat(model_id, messages_for(question), max_tokens=MAX_TOKENS)
    else:
        r = await pool.complete(model_id, prompt_for(question), max_tokens=MAX_TOKENS)
    assert r.ttft_s is not None
    decode = r.total_s - r.ttft_s
    return r.ttft_s - r.load_s - r.queue_s, (r.completion_tokens - 1) / decode


def direct_round(catalog: ModelCatalog, model_id: str) -> tuple[float, float, float]:
    """Cold TTFT, warm-prefix TTFT and mean decode t/s on a freshly loaded `Llama`."""
    path = str(catalog.get(model_id).path)
    llm = Llama(path, n_ctx=N_CTX, n_threads=physical_cores(), verbose=False)
    (cold, tps1), (warm, tps2) = (direct_run(llm, model_id, q) for q in QUESTIONS)
    llm.close()
    return cold, warm, (tps1 + tps2) / 2


def pool_round(catalog: ModelCatalog, model_id: str) -> tuple[float, float, float]:
    """The same through a fresh `InferencePool` (load and queue time excluded)."""
    pool = InferencePool(catalog, max_context=N_CTX)
    (cold, tps1), (warm, tps2) = (asyncio.run(pool_run(pool, model_id, q)) for q in QUESTIONS)
    pool.close()
    return cold, warm, (tps1 + tps2) / 2


def speed_table(catalog: ModelCatalog, repeats: int) -> None:
    """Median over `repeats` alternating rounds, each on a freshly loaded model."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"threads={physical_cores()} n_ctx={N_CTX} max_tokens={MAX_TOKENS} {repeats=}")
    print(f"load average {load} (numbers are noisy when other work shares the cores)\n")
    header = f"{'model':24} {'path':7} {'ttft cold':>10} {'ttft warm':>10} {'decode t/s':>11}"
    print(header + "\n" + "-" * len(header))
    for model_id in (SMOLLM2_ID, GEMMA3_ID):
        rows: dict[str, list[tuple[float, float, float]]] = {"direct": [], "pool": []}
        direct_round(catalog, model_id)  # warm-up (page cache, first-use effects), discarded
        for i in range(repeats):  # alternate which path goes first
            for path in ("direct", "pool") if i % 2 == 0 else ("pool", "direct"):
                run = direct_round if path == "direct" else pool_round
                rows[path].append(run(catalog, model_id))
        medians = {
            k: [statistics.median(col) for col in zip(*v, strict=True)] for k, v in rows.items()
        }
        for path, (cold, warm, tps) in medians.items():
            print(f"{model_id:24} {path:7} {cold:9.3f}s {warm:9.3f}s {tps:11.1f}")
        (d_cold, d_warm, d_tps), (p_cold, p_warm, p_tps) = medians["direct"], medians["pool"]
        print(
            f"{model_id:24} {'ratio':7} {p_cold / d_cold:9.2f}x {p_warm / d_warm:9.2f}x "
            f"{p_tps / d_tps:10.2f}x   (pool / direct)"
        )


def _obj(**props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props)}


_STR, _INT = {"type": "string"}, {"type": "integer"}
JSON_CASES: list[tuple[str, dict[str, Any]]] = [
    ("John is 31 years old.", _obj(name=_STR, age=_INT)),
    ("Maria, aged 45, lives in Lisbon.", _obj(name=_STR, city=_STR)),
    ("The laptop costs 999 dollars.", _obj(product=_STR, price={"type": "number"})),
    ("I hate this phone, it broke.", _obj(sentiment={"enum": ["positive", "negative"]})),
    ("Paris is the capital of France.", _obj(city=_STR, country=_STR)),
    ("Buy eggs, milk and bread.", _obj(items={"type": "array", "items": _STR})),
    ("The meeting is on Monday at 10.", _obj(day=_STR, hour=_INT)),
    ("Tom has 3 cats and 2 dogs.", _obj(cats=_INT, dogs=_INT)),
    ("Is the sky green? No.", _obj(answer={"type": "boolean"})),
    ("Alice emailed bob@example.com.", _obj(sender=_STR, email=_STR)),
]


def json_strategies(catalog: ModelCatalog) -> None:
    print("\nJSON schema output on", SMOLLM2_ID, f"({len(JSON_CASES)} prompts)")
    print(f"{'strategy':16} {'valid':>6} {'mean s':>8} {'median s':>9} {'retries':>8}")
    original = catalog.get(SMOLLM2_ID).profile.json_strategy
    pool = InferencePool(catalog, max_context=N_CTX)
    asyncio.run(pool.chat(SMOLLM2_ID, [{"role": "user", "content": "hi"}], max_tokens=1))
    try:
        for strategy in ("grammar", "validate_retry"):
            catalog.update_profile(SMOLLM2_ID, json_strategy=strategy)
            times, valid, retries = [], 0, 0
            for text, schema in JSON_CASES:
                messages = [{"role": "user", "content": f"Extract the data as JSON: {text}"}]
                r = asyncio.run(pool.chat(SMOLLM2_ID, messages, max_tokens=96, json_schema=schema))
                times.append(r.total_s)
                valid += bool(r.json_valid)
                retries += r.attempts - 1
            print(
                f"{strategy:16} {valid:>3}/{len(JSON_CASES):<2} {statistics.mean(times):8.3f} "
                f"{statistics.median(times):9.3f} {retries:8d}"
            )
    finally:
        catalog.update_profile(SMOLLM2_ID, json_strategy=original)
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-json", action="store_true")
    parser.add_argument("--json-only", action="store_true")
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = ModelCatalog(Path(tmp))
        if not args.json_only:
            speed_table(catalog, args.repeats)
        if not args.skip_json:
            json_strategies(catalog)


if __name__ == "__main__":
    main()
