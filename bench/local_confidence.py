"""What confidence costs: SmolLM2 decode tokens/s with token scoring on vs off, and against
llama.cpp's own llama-bench.

Each round runs every variant once, in rotated order, on one context with `--threads`
(default: physical cores, the threads llama-bench gets): free text and schema-constrained
JSON (grammar), each with `confidence` on and off; llama-bench's tg64 too when its build is
cached (or always with `--llama-bench`, which builds it; or from a saved run with
`--llama-bench-json`; `--no-llama-bench` skips it). Prints medians, best rounds, the ratios
on/off and on/llama-bench, and the CPU time per token spent choosing the token
(llama.cpp's C sampler chain when off, the scoring sampler when on), which a busy machine
disturbs far less than tokens/s.

    .venv/bin/python bench/local_confidence.py [--repeats 9] [--tokens 96] [--threads N]
        [--llama-bench | --llama-bench-json FILE | --no-llama-bench]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from llama_cpp import _internals

from local_models import SMOLLM2_ID, GenerationResult, InferencePool, ModelCatalog
from local_models.hardware import physical_cores
from local_models.token_scores import ScoringSampler

ROOT = Path(__file__).resolve().parent.parent
STORY = [{"role": "user", "content": "Write a long story about a dragon and a knight."}]
STORY_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "story": {"type": "string"}},
    "required": ["title", "story"],
    "additionalProperties": False,
}


class SampleTimer:
    """CPU seconds (of the calling thread: preemption on a busy machine does not count) and
    calls of token choice, per variant: `ScoringSampler.sample` when on, llama-cpp-python's
    `LlamaSampler.sample` (the C chain) when off."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.variant = ""

    @contextmanager
    def installed(self) -> Iterator[None]:
        originals = {cls: cls.sample for cls in (ScoringSampler, _internals.LlamaSampler)}
        for cls, original in originals.items():
            cls.sample = self._timed(original)  # type: ignore[method-assign]
        try:
            yield
        finally:
            for cls, original in originals.items():
                cls.sample = original  # type: ignore[method-assign]

    def _timed(self, original: Callable[..., int]) -> Callable[..., int]:
        def sample(sampler: Any, ctx: Any, idx: int = -1) -> int:
            start = time.thread_time()
            try:
                return original(sampler, ctx, idx)
            finally:
                key = self.variant
                self.seconds[key] = self.seconds.get(key, 0.0) + time.thread_time() - start
                self.calls[key] = self.calls.get(key, 0) + 1

        return sample

    def per_token_us(self, variant: str) -> float:
        return 1e6 * self.seconds.get(variant, 0.0) / max(1, self.calls.get(variant, 0))


def decode_rate(result: GenerationResult) -> float:
    """Tokens/s after the first one (prompt excluded; scoring's end-of-answer work included)."""
    assert result.ttft_s is not None
    return (result.completion_tokens - 1) / (result.total_s - result.ttft_s)


def pool_decode(pool: InferencePool, tokens: int, *, confidence: bool, json_mode: bool) -> float:
    result = asyncio.run(
        pool.chat(
            SMOLLM2_ID,
            STORY,
            max_tokens=tokens,
            temperature=0.0,
            json_schema=STORY_SCHEMA if json_mode else None,
            confidence=confidence,
        )
    )
    assert (result.confidence is not None) == confidence, result
    return decode_rate(result)


def llama_bench_binary() -> Path:
    version = metadata.version("llama-cpp-python")
    return ROOT / ".venv-bench" / "llama.cpp-build" / version / "bin" / "llama-bench"


def llama_bench_decode(threads: int, json_path: Path | None) -> float:
    """tg64 tokens/s from llama-bench (bench/llama_bench.sh, 3 repetitions)."""
    if json_path is not None:
        text = json_path.read_text(encoding="utf-8")
    else:
        text = subprocess.run(
            ["bash", str(ROOT / "bench" / "llama_bench.sh")],
            env={**os.environ, "THREADS": str(threads), "REPS": "3"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    rows = json.loads(text)
    return float(next(r["avg_ts"] for r in rows if r["n_gen"] > 0 and r["n_prompt"] == 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--threads", type=int, default=physical_cores())
    parser.add_argument("--llama-bench", action="store_true", help="run it (builds if needed)")
    parser.add_argument("--no-llama-bench", action="store_true", help="not even if it is built")
    parser.add_argument("--llama-bench-json", type=Path, help="a saved llama-bench JSON run")
    args = parser.parse_args()
    threads = args.threads
    catalog = ModelCatalog()
    pool = InferencePool(catalog, max_context=2048, n_threads=threads, replicas=1)
    print(f"{SMOLLM2_ID}: {args.tokens} tokens greedy, one {threads}-thread context, "
          f"{args.repeats} rounds")  # fmt: skip
    timer = SampleTimer()
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    runs: dict[str, Callable[[], float]] = {}
    for mode in ("text", "json"):
        for on in (False, True):
            name = f"{mode} {'on' if on else 'off'}"

            def run(name: str = name, on: bool = on, mode: str = mode) -> float:
                timer.variant = name
                return pool_decode(pool, args.tokens, confidence=on, json_mode=mode == "json")

            runs[name] = run
    bench_json: Path | None = args.llama_bench_json
    built = llama_bench_binary().exists() and not args.no_llama_bench
    if bench_json is None and (args.llama_bench or built):
        runs["llama-bench"] = lambda: llama_bench_decode(threads, None)
    for name, warm in runs.items():  # warm-up: load the model, compile the grammar
        if name != "llama-bench":
            warm()
    timer.seconds.clear()
    timer.calls.clear()
    rates: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    with timer.installed():
        for i in range(args.repeats):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                rates[name].append(runs[name]())
            done = ", ".join(f"{name} {rates[name][-1]:.1f}" for name in names)
            print(f"round {i + 1}: {done} t/s", flush=True)
    pool.close()
    if bench_json is not None:
        rates["llama-bench"] = [llama_bench_decode(threads, bench_json)]
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    report(rates, timer)


def report(rates: dict[str, list[float]], timer: SampleTimer) -> None:
    med = {name: statistics.median(v) for name, v in rates.items()}
    best = {name: max(v) for name, v in rates.items()}
    print(f"\n{'variant':12} {'median t/s':>11} {'best t/s':>9}   rounds")
    for name, values in rates.items():
        rounds = " ".join(f"{x:.0f}" for x in values)
        print(f"{name:12} {med[name]:11.1f} {best[name]:9.1f}   {rounds}")
    pairs: list[tuple[str, str, str]] = [
        ("text on", "text off", " (goal >= 0.90)"),
        ("json on", "json off", " (goal >= 0.90)"),
    ]
    if "llama-bench" in rates:
        pairs += [("text on", "llama-bench", ""), ("text off", "llama-bench", "")]
    print("ratios: median, best-of-rounds")
    for a, b, goal in pairs:
        print(f"  {a} / {b}: {med[a] / med[b]:.3f}x, {best[a] / best[b]:.3f}x{goal}")
    for mode in ("text", "json"):
        ons, offs = rates[f"{mode} on"], rates[f"{mode} off"]
        paired = statistics.median(x / y for x, y in zip(ons, offs, strict=True))
        print(f"  {mode} on / off, median of per-round ratios: {paired:.3f}x")
    print("choosing a token, CPU time per token (C sampler chain off, scoring sampler on):")
    for mode in ("text", "json"):
        off_us, on_us = timer.per_token_us(f"{mode} off"), timer.per_token_us(f"{mode} on")
        step_us = 1e6 / statistics.median(rates[f"{mode} off"])
        print(
            f"  {mode}: off {off_us:.0f} us, on {on_us:.0f} us; scoring adds "
            f"{on_us - off_us:.0f} us = {(on_us - off_us) / step_us:.1%} of a "
            f"{step_us / 1000:.1f} ms decode step"
        )


if __name__ == "__main__":
    main()
