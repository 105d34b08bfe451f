"""Model replicas and the jobs queued for them: how many llama.cpp contexts a model gets,
how the CPU's threads are split between them, and which replica a job should run on.

A llama.cpp context serves one request at a time; a model with N replicas can serve N
requests at once, each replica on its own worker thread with its share of the cores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from local_models.bundled import GEMMA3_ID, SMOLLM2_ID
from local_models.catalog import CatalogEntry
from local_models.generation import GenerationResult

OVERHEAD_BYTES = 64 << 20
"""Compute buffers and bookkeeping of one loaded context, on top of its KV cache."""

DEFAULT_REPLICAS: dict[str, int] = {SMOLLM2_ID: 2, GEMMA3_ID: 1}
"""Replicas per model when the pool is not told. From `bench/local_inference.py --parallel`
on 2 cores (bench/README.md, "Local inference"): for SmolLM2, two 1-thread replicas gave
2.4x (4 requests) and 1.7x (8 requests) the total throughput of one 2-thread context with a
queue, at 0.6-0.7x its p95 latency; a lone request loses nothing, since a 1-thread context
decodes this small model about as fast as a 2-thread one. Gemma 3 270M was not measured
and keeps one context."""

ReplicaSetting = int | Mapping[str, int] | None
"""`InferencePool(replicas=...)`: one count for every model, a count per model id (others
use `DEFAULT_REPLICAS`), or None for the defaults."""


def replica_count(setting: ReplicaSetting, model_id: str, n_threads: int) -> int:
    """How many replicas `model_id` gets: the setting, capped so each has a thread."""
    if isinstance(setting, int):
        wanted = setting
    elif setting is not None and model_id in setting:
        wanted = setting[model_id]
    else:
        wanted = DEFAULT_REPLICAS.get(model_id, 1)
    return max(1, min(wanted, n_threads))


def split_threads(n_threads: int, replicas: int) -> list[int]:
    """Threads per replica, adding up to `n_threads` (the first ones get any remainder)."""
    share, extra = divmod(n_threads, replicas)
    return [share + (i < extra) for i in range(replicas)]


@dataclass(eq=False, slots=True)
class Replica:
    """One llama.cpp context of a model, with the worker thread that owns it."""

    entry: CatalogEntry
    index: int
    n_ctx: int
    n_threads: int
    executor: ThreadPoolExecutor
    llm: Any = None
    loading: bool = False
    busy: bool = False
    last_used: float = 0.0
    last_prefix: str = ""
    """The affinity key of the last job it ran: its KV cache starts with that text."""

    @property
    def kv_bytes(self) -> int:
        return self.entry.kv_bytes_per_token * self.n_ctx + OVERHEAD_BYTES

    @property
    def live(self) -> bool:
        return self.llm is not None or self.loading


@dataclass(eq=False, slots=True)
class ModelGroup:
    """The replicas of one model file."""

    entry: CatalogEntry
    replicas: list[Replica]

    @classmethod
    def create(cls, entry: CatalogEntry, n_ctx: int, threads: Sequence[int]) -> ModelGroup:
        replicas = [
            Replica(
                entry,
                i,
                n_ctx,
                n,
                ThreadPoolExecutor(1, thread_name_prefix=f"llama-{entry.model_id}-{i}"),
            )
            for i, n in enumerate(threads)
        ]
        return cls(entry, replicas)

    @property
    def est_bytes(self) -> int:
        """Weights (mapped once, shared by the replicas) plus each live context."""
        live = [r.kv_bytes for r in self.replicas if r.live]
        return self.entry.file_size + sum(live) if live else 0

    def pick(self, prefix: str) -> Replica | None:
        """The idle replica whose KV cache shares the longest prefix with `prefix`; then a
        loaded one; then the least recently used (its cache is the least likely to be
        wanted again). None if all are busy."""
        idle = [r for r in self.replicas if not r.busy]
        if not idle:
            return None
        return max(
            idle,
            key=lambda r: (_shared(r.last_prefix, prefix), r.llm is not None, -r.last_used),
        )


@dataclass(eq=False, slots=True)
class Job:
    """One queued request: which model, its affinity key, and what to run on a replica."""

    model_id: str
    prefix: str
    run: Callable[[Replica], GenerationResult]
    future: Future[GenerationResult] = field(default_factory=Future)
    queued_at: float = field(default_factory=time.perf_counter)


def _shared(a: str, b: str) -> int:
    """Length of the common prefix of `a` and `b` (characters, not path components)."""
    return len(os.path.commonprefix([a, b]))  # noqa: RUF071


def affinity_key(messages: Sequence[Mapping[str, str]] | None, prompt: str | None) -> str:
    """Text that starts the same way when two requests' prompts do (their KV caches too)."""
    if messages is None:
        return prompt or ""
    return "".join(f"\x00{m.get('role', '')}\x01{m.get('content', '')}" for m in messages)
