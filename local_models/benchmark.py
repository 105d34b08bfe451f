"""A quick decode-speed self-benchmark for one GGUF file, run straight on llama-cpp-python."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from local_models.errors import GenerationError
from local_models.hardware import physical_cores
from local_models.llama_load import load_llama

_PROMPT = "Once upon a time, in a small village by the sea, there lived"


@dataclass(frozen=True, slots=True)
class BenchResult:
    """Decode speed and latency of one short greedy completion."""

    tokens_per_second: float
    """Decode rate after the first token (prompt processing excluded)."""
    ttft_s: float
    load_s: float
    tokens: int


def measure_tokens_per_second(
    path: Path, *, n_threads: int | None = None, max_tokens: int = 48, n_ctx: int = 512
) -> BenchResult:
    """Load `path`, generate up to `max_tokens` greedily, and time it (a few seconds)."""
    started = time.perf_counter()
    try:
        llm = load_llama(str(path), n_ctx=n_ctx, n_threads=n_threads or physical_cores(), seed=0)
    except (ValueError, RuntimeError) as exc:
        raise GenerationError(f"llama.cpp could not load {path.name}: {exc}") from exc
    loaded = time.perf_counter()
    first = last = loaded
    tokens = 0
    try:
        for _ in llm.create_completion(
            _PROMPT, max_tokens=max_tokens, temperature=0.0, stream=True
        ):
            last = time.perf_counter()
            tokens += 1
            if tokens == 1:
                first = last
    finally:
        llm.close()
    rate = (tokens - 1) / (last - first) if tokens > 1 and last > first else 0.0
    return BenchResult(rate, first - loaded, loaded - started, tokens)
