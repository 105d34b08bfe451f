"""Local inference speed: the `local_models` pool against direct llama-cpp-python.

For each bundled model: TTFT on a fresh model (load excluded), TTFT when the prompt shares a
long prefix with the previous one (KV cache reuse), and decode tokens/s; pool / direct ratios.
`--decode`: SmolLM2 decode tokens/s through the Interlock provider, direct llama-cpp-python
and llama.cpp's own llama-bench (bench/llama_bench.sh), with ratios against the goals.
`--parallel`: 4 and 8 parallel chat requests on one 2-thread context with a queue, two
1-thread replicas, and batched decoding in one context; throughput and p95 latency.
Then, on SmolLM2, JSON-schema output by grammar vs free generation + validate + 1 retry.

    .venv/bin/python bench/local_inference.py [--skip-json] [--json-only]
        [--decode [--llama-bench-json FILE]] [--parallel] [--only-new]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from llama_cpp import Llama

from engine.providers.base import ChatMessage, ModelRequest
from engine.providers.local import LocalProvider
from local_models import GEMMA3_ID, SMOLLM2_ID, InferencePool, ModelCatalog
from local_models.batched import BatchedDecoder
from local_models.hardware import physical_cores

ROOT = Path(__file__).resolve().parent.parent

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
    parser.add_argument("--decode", action="store_true", help="provider/direct/llama-bench")
    parser.add_argument("--llama-bench-json", type=Path, help="llama-bench -o json output")
    parser.add_argument("--parallel", action="store_true", help="parallel request layouts")
    parser.add_argument("--only-new", action="store_true", help="only --decode/--parallel")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = ModelCatalog(Path(tmp))
        if args.decode:
            decode_table(catalog, args.repeats, args.llama_bench_json)
        if args.parallel:
            parallel_table(catalog, args.repeats)
        if args.only_new:
            return
        if not args.json_only:
            speed_table(catalog, args.repeats)
        if not args.skip_json:
            json_strategies(catalog)


# --- decode: Interlock provider vs direct llama-cpp-python vs llama-bench ------------------

STORY = [{"role": "user", "content": "Write a long story about a dragon and a knight."}]
DECODE_TOKENS = 64


def _decode_rate(stamps: list[float]) -> float:
    """Tokens/s between the first and the last streamed piece (prompt excluded)."""
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


def direct_decode(llm: Llama) -> float:
    stamps = []
    for chunk in llm.create_chat_completion(
        STORY, max_tokens=DECODE_TOKENS, temperature=0.0, stream=True
    ):
        if chunk["choices"][0]["delta"].get("content"):
            stamps.append(time.perf_counter())
    return _decode_rate(stamps)


def provider_decode(provider: LocalProvider) -> float:
    stamps: list[float] = []
    request = ModelRequest(
        messages=[ChatMessage("user", STORY[0]["content"])],
        max_tokens=DECODE_TOKENS,
        temperature=0.0,
    )
    asyncio.run(
        provider.generate(SMOLLM2_ID, request, lambda _: stamps.append(time.perf_counter()))
    )
    return _decode_rate(stamps)


def llama_bench_decode(json_path: Path | None) -> float:
    """tg64 tokens/s from llama-bench (runs bench/llama_bench.sh unless given its JSON)."""
    if json_path is not None:
        text = json_path.read_text(encoding="utf-8")
    else:
        run = subprocess.run(
            ["bash", str(ROOT / "bench" / "llama_bench.sh")],
            env={**os.environ, "THREADS": str(physical_cores()), "REPS": "3"},
            check=True,
            capture_output=True,
            text=True,
        )
        text = run.stdout
    rows = json.loads(text)
    return float(next(r["avg_ts"] for r in rows if r["n_gen"] > 0 and r["n_prompt"] == 0))


def decode_table(catalog: ModelCatalog, repeats: int, llama_bench_json: Path | None) -> None:
    """Median decode t/s over `repeats` rounds; each round runs the three in rotated order
    (llama-bench too, unless its JSON was given), all with the same thread count."""
    threads = physical_cores()
    print(f"\nDecode on {SMOLLM2_ID}: {DECODE_TOKENS} tokens, {threads} threads, {repeats=}")
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    llm = Llama(str(catalog.get(SMOLLM2_ID).path), n_ctx=N_CTX, n_threads=threads, verbose=False)
    # Same threads as the others: one context with every thread. The default layout (two
    # 1-thread replicas for SmolLM2) is its own row.
    provider = LocalProvider(catalog, InferencePool(catalog, max_context=N_CTX, replicas=1))
    default = LocalProvider(catalog, InferencePool(catalog, max_context=N_CTX))
    direct_decode(llm), provider_decode(provider), provider_decode(default)  # warm-up
    runs: dict[str, Any] = {
        "interlock": lambda: provider_decode(provider),
        "direct": lambda: direct_decode(llm),
        "il-default": lambda: provider_decode(default),
    }
    if llama_bench_json is None:
        runs["llama-bench"] = lambda: llama_bench_decode(None)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for i in range(repeats):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            rates[name].append(runs[name]())
    if llama_bench_json is not None:
        rates["llama-bench"] = [llama_bench_decode(llama_bench_json)]
    llm.close()
    provider.close()
    default.close()
    med = {name: statistics.median(v) for name, v in rates.items()}
    best = {name: max(v) for name, v in rates.items()}
    print(f"{'path':12} {'median t/s':>11} {'best t/s':>9}   rounds")
    for name, value in med.items():
        rounds = " ".join(f"{x:.0f}" for x in rates[name])
        print(f"{name:12} {value:11.1f} {best[name]:9.1f}   {rounds}")
    print("ratios (median, best-of-rounds; best is the less noise-prone on a shared machine)")
    for a, b, goal in (
        ("interlock", "direct", " (goal >= 0.97)"),
        ("interlock", "llama-bench", " (goal >= 0.9)"),
        ("direct", "llama-bench", ""),
        ("il-default", "direct", " (default layout: 1-thread replica)"),
    ):
        print(f"  {a} / {b}: {med[a] / med[b]:.3f}x, {best[a] / best[b]:.3f}x{goal}")


# --- parallel routine nodes: one context + queue vs replicas vs batched decoding -----------

TOPICS = ("cat", "dog", "river", "robot", "castle", "storm", "garden", "train")
PARALLEL_TOKENS = 48


def _chat(topic: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Write a short story about a {topic}."}]


def pool_parallel(pool: InferencePool, n: int) -> tuple[int, float, list[float]]:
    """Tokens, wall seconds and per-request latencies of `n` requests submitted together."""

    async def run() -> list[Any]:
        return await asyncio.gather(
            *(pool.chat(SMOLLM2_ID, _chat(TOPICS[i]), max_tokens=PARALLEL_TOKENS) for i in range(n))
        )

    start = time.perf_counter()
    results = asyncio.run(run())
    wall = time.perf_counter() - start
    return sum(r.completion_tokens for r in results), wall, [r.total_s for r in results]


def batched_parallel(
    decoder: BatchedDecoder, prompts: list[list[int]], n: int
) -> tuple[int, float, list[float]]:
    start = time.perf_counter()
    seqs = decoder.generate(prompts[:n], PARALLEL_TOKENS)
    wall = time.perf_counter() - start
    return sum(len(s.tokens) for s in seqs), wall, [(s.done_at or start) - start for s in seqs]


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def parallel_table(catalog: ModelCatalog, repeats: int) -> None:
    """Median throughput and pooled p95 latency per layout, rounds in rotated order."""
    from llama_cpp import llama_chat_format

    threads = physical_cores()
    print(f"\nParallel chat requests on {SMOLLM2_ID}: {PARALLEL_TOKENS} tokens each, {repeats=}")
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    queue = InferencePool(catalog, max_context=N_CTX, replicas=1)
    replicas = InferencePool(catalog, max_context=N_CTX, replicas=threads)
    llm = Llama(str(catalog.get(SMOLLM2_ID).path), n_ctx=64, n_threads=threads, verbose=False)
    decoder = BatchedDecoder(llm, n_seq_max=8, n_ctx=N_CTX, n_threads=threads)
    template = llama_chat_format.Jinja2ChatFormatter(
        template=llm.metadata["tokenizer.chat_template"], eos_token="", bos_token=""
    )
    prompts = [
        llm.tokenize(template(messages=_chat(t)).prompt.encode(), add_bos=True, special=True)
        for t in TOPICS
    ]
    layouts: dict[str, Any] = {
        f"1x{threads}-thread queue": lambda n: pool_parallel(queue, n),
        f"{threads}x1-thread replicas": lambda n: pool_parallel(replicas, n),
        "batched 1 context": lambda n: batched_parallel(decoder, prompts, n),
    }
    names = list(layouts)
    for run in layouts.values():  # warm-up: load every context
        run(threads)
    single = [pool_parallel(queue, 1) for _ in range(repeats)]
    single_tps = statistics.median(tokens / wall for tokens, wall, _ in single)
    single_best = max(tokens / wall for tokens, wall, _ in single)
    print(
        f"single stream (1 request, 1x{threads}-thread context): median {single_tps:.1f} t/s, "
        f"best {single_best:.1f} t/s\n"
    )
    print(f"{'n':>2} {'layout':24} {'total t/s':>10} {'x single':>9} {'p95 s':>7} {'mean s':>7}")
    for n in (4, 8):
        tps: dict[str, list[float]] = {name: [] for name in names}
        lat: dict[str, list[float]] = {name: [] for name in names}
        for i in range(repeats):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                tokens, wall, latencies = layouts[name](n)
                tps[name].append(tokens / wall)
                lat[name].extend(latencies)
        for name in names:
            rate = statistics.median(tps[name])
            print(
                f"{n:2} {name:24} {rate:10.1f} {rate / single_tps:8.2f}x "
                f"{_p95(lat[name]):7.2f} {statistics.mean(lat[name]):7.2f}   best "
                f"{max(tps[name]):.1f} t/s = {max(tps[name]) / single_best:.2f}x best single"
            )
    decoder.close()
    llm.close()
    queue.close()
    replicas.close()


if __name__ == "__main__":
    main()
