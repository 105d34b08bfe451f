"""The inference pool: lazily loaded llama.cpp models shared by async callers.

Each model has one worker thread, so its requests run one at a time in FIFO order; idle
models are unloaded least-recently-used first to stay under a memory budget.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from local_models.catalog import CatalogEntry
from local_models.errors import GenerationError
from local_models.generation import GenerationParams, GenerationResult, run_generation
from local_models.hardware import physical_cores, total_memory_bytes

log = logging.getLogger(__name__)

TokenCallback = Callable[[str], None]
_OVERHEAD_BYTES = 64 << 20
"""Compute buffers and bookkeeping of one loaded model, on top of weights and KV cache."""


class ModelSource(Protocol):
    """Where the pool looks models up (a `ModelCatalog`)."""

    def get(self, model_id: str) -> CatalogEntry: ...


@dataclass(slots=True)
class _Slot:
    entry: CatalogEntry
    n_ctx: int
    executor: ThreadPoolExecutor
    llm: Any = None
    loading: bool = False
    pending: int = 0
    last_used: float = 0.0

    @property
    def est_bytes(self) -> int:
        return self.entry.file_size + self.entry.kv_bytes_per_token * self.n_ctx + _OVERHEAD_BYTES


class InferencePool:
    """Runs chat and completion requests on local models without blocking the event loop."""

    def __init__(
        self,
        source: ModelSource,
        *,
        memory_budget_bytes: int | None = None,
        max_context: int = 4096,
        n_threads: int | None = None,
    ) -> None:
        total = total_memory_bytes() or (8 << 30)
        self.memory_budget_bytes = memory_budget_bytes or total // 2
        self.max_context = max_context
        self.n_threads = n_threads or physical_cores()
        self._source = source
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}

    async def chat(
        self,
        model_id: str,
        messages: Sequence[Mapping[str, str]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = 0,
        stop: Sequence[str] = (),
        json_schema: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> GenerationResult:
        """Answer `messages` ({"role", "content"} dicts) with the model's chat template."""
        params = GenerationParams(max_tokens, temperature, top_p, seed, tuple(stop), json_schema)
        return await self._run(model_id, list(messages), None, params, on_token)

    async def complete(
        self,
        model_id: str,
        prompt: str,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = 0,
        stop: Sequence[str] = (),
        json_schema: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> GenerationResult:
        """Continue `prompt` as raw text (what base models such as Gemma 3 270M are for)."""
        params = GenerationParams(max_tokens, temperature, top_p, seed, tuple(stop), json_schema)
        return await self._run(model_id, None, prompt, params, on_token)

    def loaded(self) -> list[str]:
        """Ids of the models currently in memory, least recently used first."""
        with self._lock:
            slots = sorted(self._slots.values(), key=lambda s: s.last_used)
            return [s.entry.model_id for s in slots if s.llm is not None]

    def close(self) -> None:
        """Unload every model and stop the worker threads (waits for running requests)."""
        with self._lock:
            slots, self._slots = list(self._slots.values()), {}
        for slot in slots:
            slot.executor.shutdown(wait=True, cancel_futures=True)
            _free(slot)

    async def _run(
        self,
        model_id: str,
        messages: list[Mapping[str, str]] | None,
        prompt: str | None,
        params: GenerationParams,
        on_token: TokenCallback | None,
    ) -> GenerationResult:
        submitted = time.perf_counter()
        entry = await asyncio.to_thread(self._source.get, model_id)  # may assemble/verify
        loop = asyncio.get_running_loop()
        cancel = threading.Event()

        def emit(piece: str) -> None:  # worker thread -> event loop, in order
            if on_token is not None:
                loop.call_soon_threadsafe(on_token, piece)

        def job() -> GenerationResult:
            return self._generate(slot, messages, prompt, params, submitted, cancel, emit)

        with self._lock:
            slot = self._slot(entry)
            slot.pending += 1
            job_future: Future[GenerationResult] = slot.executor.submit(job)
        job_future.add_done_callback(lambda _: self._release(slot))
        waiter = asyncio.wrap_future(job_future, loop=loop)
        try:
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            cancel.set()  # the worker stops before its next token
            if not job_future.cancel():  # already running: wait until it has stopped
                await asyncio.wait([waiter])
                if not waiter.cancelled():
                    waiter.exception()  # nobody is left to see an error: mark it seen
            raise

    def _slot(self, entry: CatalogEntry) -> _Slot:
        slot = self._slots.get(entry.model_id)
        if slot is None or slot.entry.path != entry.path:
            if slot is not None:  # the file moved: free the old model after its queue
                slot.executor.submit(_free, slot)
                slot.executor.shutdown(wait=False)
            n_ctx = min(entry.profile.context_window, self.max_context)
            executor = ThreadPoolExecutor(1, thread_name_prefix=f"llama-{entry.model_id}")
            slot = self._slots[entry.model_id] = _Slot(entry, n_ctx, executor)
        slot.entry = entry  # the latest profile (e.g. a changed json_strategy)
        return slot

    def _release(self, slot: _Slot) -> None:
        with self._lock:
            slot.pending -= 1
            slot.last_used = time.monotonic()

    def _generate(
        self,
        slot: _Slot,
        messages: list[Mapping[str, str]] | None,
        prompt: str | None,
        params: GenerationParams,
        submitted: float,
        cancel: threading.Event,
        emit: TokenCallback,
    ) -> GenerationResult:
        started = time.perf_counter()
        llm = self._ensure_loaded(slot)
        loaded = time.perf_counter()
        if messages is not None and not slot.entry.has_chat_template:
            raise GenerationError(
                f"{slot.entry.model_id!r} is a base model without a chat template; "
                "use a completion prompt instead"
            )
        if cancel.is_set():  # cancelled while queued or loading: skip the prompt
            return GenerationResult("", slot.entry.model_id, "cancelled", 0, 0, None, 0.0)
        result, check, attempts = run_generation(
            llm,
            messages=messages,
            prompt=prompt,
            params=params,
            json_strategy=slot.entry.profile.json_strategy,
            cancel=cancel,
            emit=emit,
        )
        done = time.perf_counter()
        return GenerationResult(
            text=result.text,
            model_id=slot.entry.model_id,
            finish_reason=result.finish_reason,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            ttft_s=None if result.first_token_at is None else result.first_token_at - submitted,
            total_s=done - submitted,
            queue_s=started - submitted,
            load_s=loaded - started,
            json_valid=None if check is None else check.valid,
            json_value=None if check is None else check.value,
            json_error=None if check is None else check.error,
            attempts=attempts,
        )

    def _ensure_loaded(self, slot: _Slot) -> Any:
        """Load `slot`'s model in its worker thread, first unloading idle LRU models."""
        with self._lock:
            if slot.llm is not None:
                return slot.llm
            slot.loading = True
            in_use = sum(
                s.est_bytes for s in self._slots.values() if s.llm is not None or s.loading
            )
            in_use -= slot.est_bytes
            idle = sorted(
                (s for s in self._slots.values() if s.llm is not None and s.pending == 0),
                key=lambda s: s.last_used,
            )
            victims = []
            while idle and in_use + slot.est_bytes > self.memory_budget_bytes:
                victim = idle.pop(0)
                in_use -= victim.est_bytes
                victims.append((victim.entry.model_id, victim.llm))
                victim.llm = None
        for model_id, llm in victims:
            log.info("unloading %s to stay under the memory budget", model_id)
            llm.close()
        if in_use + slot.est_bytes > self.memory_budget_bytes:
            log.warning("loading %s exceeds the memory budget", slot.entry.model_id)
        from llama_cpp import Llama

        log.info("loading %s (n_ctx=%d)", slot.entry.model_id, slot.n_ctx)
        try:
            llm = Llama(
                str(slot.entry.path),
                n_ctx=slot.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            with self._lock:
                slot.loading = False
            raise GenerationError(
                f"llama.cpp could not load {slot.entry.model_id!r} from {slot.entry.path}: {exc}"
            ) from exc
        with self._lock:
            slot.llm, slot.loading = llm, False
        return llm


def _free(slot: _Slot) -> None:
    if slot.llm is not None:
        slot.llm.close()
        slot.llm = None
