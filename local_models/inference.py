"""The inference pool: lazily loaded llama.cpp models shared by async callers.

Requests wait in one FIFO queue. A model has one or more replicas (llama.cpp contexts,
each with its own worker thread); a request starts when a replica of its model is idle and
the pool's thread budget (physical cores) has room for that replica's threads, so the CPU
is never oversubscribed. Requests sharing a prompt prefix go to the replica that holds it
in its KV cache. Idle replicas are unloaded least-recently-used first to stay under a
memory budget.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from local_models.catalog import CatalogEntry
from local_models.errors import GenerationError
from local_models.generation import (
    GenerationParams,
    GenerationResult,
    count_evaluations,
    run_generation,
)
from local_models.hardware import physical_cores, total_memory_bytes
from local_models.llama_load import load_llama
from local_models.replicas import (
    Job,
    ModelGroup,
    Replica,
    ReplicaSetting,
    affinity_key,
    replica_count,
    split_threads,
)

log = logging.getLogger(__name__)

TokenCallback = Callable[[str], None]
WATTS_PER_CORE = 10.0
"""Rough power of one busy desktop/laptop core, for `GenerationResult.energy_j` (an
estimate: llama.cpp's threads are busy for the whole generation, so energy ~ threads *
wall time * this)."""


class ModelSource(Protocol):
    """Where the pool looks models up (a `ModelCatalog`)."""

    def get(self, model_id: str) -> CatalogEntry: ...


class InferencePool:
    """Runs chat and completion requests on local models without blocking the event loop."""

    def __init__(
        self,
        source: ModelSource,
        *,
        memory_budget_bytes: int | None = None,
        max_context: int = 4096,
        n_threads: int | None = None,
        replicas: ReplicaSetting = None,
    ) -> None:
        """`n_threads` (default: physical cores) is the thread budget shared by every
        running request; `replicas` is how many contexts a model gets (see
        `local_models.replicas.ReplicaSetting`), splitting that budget between them."""
        total = total_memory_bytes() or (8 << 30)
        self.memory_budget_bytes = memory_budget_bytes or total // 2
        self.max_context = max_context
        self.n_threads = n_threads or physical_cores()
        self.replicas = replicas
        self._source = source
        # One thread looks models up, so requests join the queue in the order they came.
        self._lookup = ThreadPoolExecutor(1, thread_name_prefix="model-lookup")
        self._lock = threading.Lock()
        self._groups: dict[str, ModelGroup] = {}
        self._queue: deque[Job] = deque()
        self._threads_busy = 0

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
        confidence: bool = True,
    ) -> GenerationResult:
        """Answer `messages` ({"role", "content"} dicts) with the model's chat template.

        `confidence` (on by default) scores the sampled tokens: `GenerationResult.confidence`
        and `token_logprobs`."""
        params = GenerationParams(
            max_tokens, temperature, top_p, seed, tuple(stop), json_schema, confidence
        )
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
        confidence: bool = True,
    ) -> GenerationResult:
        """Continue `prompt` as raw text (what base models such as Gemma 3 270M are for)."""
        params = GenerationParams(
            max_tokens, temperature, top_p, seed, tuple(stop), json_schema, confidence
        )
        return await self._run(model_id, None, prompt, params, on_token)

    def loaded(self) -> list[str]:
        """Ids of the models currently in memory, least recently used first."""
        with self._lock:
            groups = [g for g in self._groups.values() if any(r.llm for r in g.replicas)]
            groups.sort(key=lambda g: max(r.last_used for r in g.replicas))
            return [g.entry.model_id for g in groups]

    def layout(self, model_id: str) -> list[int]:
        """Threads of each replica `model_id` gets (one entry per replica)."""
        count = replica_count(self.replicas, model_id, self.n_threads)
        return split_threads(self.n_threads, count)

    def close(self) -> None:
        """Unload every model and stop the worker threads (waits for running requests)."""
        with self._lock:
            groups, self._groups = list(self._groups.values()), {}
            queued, self._queue = list(self._queue), deque()
        for job in queued:
            job.future.cancel()
        self._lookup.shutdown(wait=False)  # the pool stays usable: models load again
        self._lookup = ThreadPoolExecutor(1, thread_name_prefix="model-lookup")
        for group in groups:
            for replica in group.replicas:
                replica.executor.shutdown(wait=True, cancel_futures=True)
                _free(replica)

    async def _run(
        self,
        model_id: str,
        messages: list[Mapping[str, str]] | None,
        prompt: str | None,
        params: GenerationParams,
        on_token: TokenCallback | None,
    ) -> GenerationResult:
        submitted = time.perf_counter()
        loop = asyncio.get_running_loop()
        entry = await loop.run_in_executor(self._lookup, self._source.get, model_id)  # may hash
        cancel = threading.Event()
        emit = _streamer(on_token, cancel) if on_token is not None else _ignore

        def run(replica: Replica) -> GenerationResult:
            return self._generate(replica, messages, prompt, params, submitted, cancel, emit)

        job = Job(model_id, affinity_key(messages, prompt), run)
        with self._lock:
            self._group(entry)
            self._queue.append(job)
            self._dispatch()
        waiter = asyncio.wrap_future(job.future)
        try:
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            cancel.set()  # the worker stops before its next token
            if job.future.cancel():  # still queued: drop it
                with self._lock:
                    if job in self._queue:
                        self._queue.remove(job)
            else:  # already running: wait until it has stopped
                await asyncio.wait([waiter])
                if not waiter.cancelled():
                    waiter.exception()  # nobody is left to see an error: mark it seen
            raise

    def _group(self, entry: CatalogEntry) -> ModelGroup:
        group = self._groups.get(entry.model_id)
        if group is None or group.entry.path != entry.path:
            if group is not None:  # the file moved: free the old contexts after their job
                for replica in group.replicas:
                    replica.executor.submit(_free, replica)
                    replica.executor.shutdown(wait=False)
            n_ctx = min(entry.profile.context_window, self.max_context)
            group = ModelGroup.create(entry, n_ctx, self.layout(entry.model_id))
            self._groups[entry.model_id] = group
        group.entry = entry  # the latest profile (e.g. a changed json_strategy)
        for replica in group.replicas:
            replica.entry = entry
        return group

    def _dispatch(self) -> None:
        """Start queued jobs in FIFO order while replicas and threads are free (holds lock).

        The head of the queue is never overtaken: fair, and no request starves."""
        while self._queue:
            job = self._queue[0]
            if job.future.cancelled():
                self._queue.popleft()
                continue
            group = self._groups.get(job.model_id)
            replica = group.pick(job.prefix) if group is not None else None
            if replica is None or self._threads_busy + replica.n_threads > self.n_threads:
                return
            self._queue.popleft()
            if not job.future.set_running_or_notify_cancel():
                continue
            replica.busy = True
            replica.last_prefix = job.prefix
            self._threads_busy += replica.n_threads
            replica.executor.submit(self._work, replica, job)

    def _work(self, replica: Replica, job: Job) -> None:
        try:
            result = job.run(replica)
        except BaseException as exc:
            self._release(replica)
            job.future.set_exception(exc)
        else:
            self._release(replica)
            job.future.set_result(result)

    def _release(self, replica: Replica) -> None:
        with self._lock:
            replica.busy = False
            replica.last_used = time.monotonic()
            self._threads_busy -= replica.n_threads
            self._dispatch()

    def _generate(
        self,
        replica: Replica,
        messages: list[Mapping[str, str]] | None,
        prompt: str | None,
        params: GenerationParams,
        submitted: float,
        cancel: threading.Event,
        emit: TokenCallback,
    ) -> GenerationResult:
        started = time.perf_counter()
        entry = replica.entry
        llm = self._ensure_loaded(replica)
        loaded = time.perf_counter()
        if messages is not None and not entry.has_chat_template:
            raise GenerationError(
                f"{entry.model_id!r} is a base model without a chat template; "
                "use a completion prompt instead"
            )
        if cancel.is_set():  # cancelled while queued or loading: skip the prompt
            return GenerationResult("", entry.model_id, "cancelled", 0, 0, None, 0.0)
        result, check, attempts = run_generation(
            llm,
            messages=messages,
            prompt=prompt,
            params=params,
            json_strategy=entry.profile.json_strategy,
            cancel=cancel,
            emit=emit,
        )
        done = time.perf_counter()
        return GenerationResult(
            text=result.text,
            model_id=entry.model_id,
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
            cached_tokens=result.cached_tokens,
            energy_j=(done - loaded) * replica.n_threads * WATTS_PER_CORE,
            replica=replica.index,
            token_logprobs=tuple(s.logprob for s in result.steps),
            confidence=result.confidence,
        )

    def _in_use(self) -> int:
        return sum(g.est_bytes for g in self._groups.values())

    def _ensure_loaded(self, replica: Replica) -> Any:
        """Load `replica`'s context in its worker thread, first unloading idle LRU ones."""
        with self._lock:
            if replica.llm is not None:
                return replica.llm
            replica.loading = True
            idle = sorted(
                (
                    r
                    for g in self._groups.values()
                    for r in g.replicas
                    if r.llm is not None and not r.busy
                ),
                key=lambda r: r.last_used,
            )
            victims = []
            while idle and self._in_use() > self.memory_budget_bytes:
                victim = idle.pop(0)
                victims.append((victim.entry.model_id, victim.llm))
                victim.llm = None
            over = self._in_use() > self.memory_budget_bytes
        for model_id, llm in victims:
            log.info("unloading %s to stay under the memory budget", model_id)
            llm.close()
        if over:
            log.warning("loading %s exceeds the memory budget", replica.entry.model_id)
        entry = replica.entry
        log.info(
            "loading %s replica %d (n_ctx=%d, n_threads=%d)",
            entry.model_id,
            replica.index,
            replica.n_ctx,
            replica.n_threads,
        )
        try:
            llm = load_llama(
                str(entry.path),
                n_ctx=replica.n_ctx,
                n_threads=replica.n_threads,
                n_threads_batch=replica.n_threads,
                # llama.cpp's own tools turn it on where the backend has it; on CPU it
                # decodes SmolLM2 ~13% faster (bench/local_confidence.py).
                flash_attn=True,
                seed=0,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            with self._lock:
                replica.loading = False
            raise GenerationError(
                f"llama.cpp could not load {entry.model_id!r} from {entry.path}: {exc}"
            ) from exc
        count_evaluations(llm)
        with self._lock:
            replica.llm, replica.loading = llm, False
        return llm


def _streamer(on_token: TokenCallback, cancel: threading.Event) -> TokenCallback:
    """A worker-thread `emit` delivering pieces to `on_token` on the caller's loop, in order.

    Pieces produced while the loop is busy go over in one callback rather than one wake-up
    each; none are delivered once the caller's task is being cancelled."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    pending: list[str] = []
    lock = threading.Lock()

    def deliver() -> None:
        with lock:
            pieces = pending.copy()
            pending.clear()
        for piece in pieces:
            if cancel.is_set() or (task is not None and task.cancelling()):
                return
            try:
                on_token(piece)
            except Exception as exc:  # as the loop would report a failing callback
                loop.call_exception_handler(
                    {"message": "on_token callback failed", "exception": exc}
                )

    def emit(piece: str) -> None:
        with lock:
            pending.append(piece)
            if len(pending) > 1:  # a delivery is already scheduled
                return
        loop.call_soon_threadsafe(deliver)

    return emit


def _ignore(piece: str) -> None:
    pass


def _free(replica: Replica) -> None:
    if replica.llm is not None:
        replica.llm.close()
        replica.llm = None
