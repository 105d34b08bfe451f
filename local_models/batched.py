"""Batched decoding: several sequences advanced together in one llama.cpp context.

A CPU decode step of a small model is bound by reading the weights; one `llama_decode` of
N sequences' next tokens reads them once, so N streams cost little more than one. Greedy
sampling only; used by `bench/local_inference.py --parallel` to measure that layout.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(slots=True)
class BatchedSequence:
    """One sequence's generated tokens and when they finished (perf_counter seconds)."""

    prompt: list[int]
    tokens: list[int] = field(default_factory=list)
    first_token_at: float | None = None
    done_at: float | None = None
    finish_reason: str = "length"


class BatchedDecoder:
    """A llama.cpp context with `n_seq_max` sequences over `llm`'s already-loaded weights."""

    def __init__(self, llm: Any, *, n_seq_max: int, n_ctx: int, n_threads: int) -> None:
        from llama_cpp import _internals, llama_cpp

        self._lib = llama_cpp
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = params.n_ubatch = min(n_ctx, 512)
        params.n_seq_max = n_seq_max
        params.kv_unified = True  # the sequences share one KV buffer of n_ctx cells
        params.n_threads = params.n_threads_batch = n_threads
        self._model = llm._model
        self._vocab = llm._model.vocab
        self._n_vocab = llm.n_vocab()
        self._ctx: Any = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        self._n_batch = int(params.n_batch)
        self._batch: Any = _internals.LlamaBatch(n_tokens=self._n_batch, embd=0, n_seq_max=1)
        self.n_seq_max = n_seq_max

    def close(self) -> None:
        self._batch.close()
        self._ctx.close()

    def generate(self, prompts: Sequence[Sequence[int]], max_tokens: int) -> list[BatchedSequence]:
        """Greedy-decode every prompt (at most `n_seq_max`) together, up to `max_tokens` each."""
        if len(prompts) > self.n_seq_max:
            raise ValueError(f"{len(prompts)} prompts exceed n_seq_max={self.n_seq_max}")
        self._ctx.kv_cache_clear()
        seqs = [BatchedSequence(list(p)) for p in prompts]
        logits_at = self._prefill(seqs)
        active = list(range(len(seqs)))
        while active:
            now = time.perf_counter()
            step: list[tuple[int, int, int]] = []  # (token, position, sequence)
            for s in active:
                seq = seqs[s]
                token = self._argmax(logits_at[s])
                if self._lib.llama_vocab_is_eog(self._vocab, token):
                    seq.finish_reason, seq.done_at = "stop", now
                    continue
                seq.tokens.append(token)
                seq.first_token_at = seq.first_token_at or now
                if len(seq.tokens) >= max_tokens:
                    seq.done_at = now
                    continue
                step.append((token, len(seq.prompt) + len(seq.tokens) - 1, s))
            active = [s for _, _, s in step]
            if step:
                logits_at = self._decode(step)
        return seqs

    def _prefill(self, seqs: list[BatchedSequence]) -> dict[int, int]:
        """Evaluate the prompts, packing as many per `llama_decode` as the batch holds."""
        logits_at: dict[int, int] = {}
        pending: list[tuple[int, int, int]] = []
        for s, seq in enumerate(seqs):
            for pos, token in enumerate(seq.prompt):
                if len(pending) == self._n_batch:
                    logits_at.update(self._decode(pending, last_only=seqs))
                    pending = []
                pending.append((token, pos, s))
        logits_at.update(self._decode(pending, last_only=seqs))
        return logits_at

    def _decode(
        self, items: list[tuple[int, int, int]], last_only: list[BatchedSequence] | None = None
    ) -> dict[int, int]:
        """One `llama_decode`; returns sequence -> batch index of its logits."""
        b = self._batch.batch
        b.n_tokens = len(items)
        out: dict[int, int] = {}
        for i, (token, pos, s) in enumerate(items):
            b.token[i], b.pos[i] = token, pos
            b.seq_id[i][0], b.n_seq_id[i] = s, 1
            wants = last_only is None or pos == len(last_only[s].prompt) - 1
            b.logits[i] = wants
            if wants:
                out[s] = i
        self._ctx.decode(self._batch)
        return out

    def _argmax(self, index: int) -> int:
        logits = np.ctypeslib.as_array(self._ctx.get_logits_ith(index), shape=(self._n_vocab,))
        return int(logits.argmax())
