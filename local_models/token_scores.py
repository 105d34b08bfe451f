"""Sampling that also scores: each chosen token's log probability, read from the last logits
row and renormalised over the tokens the grammar allowed at that step.

`scoring(llm)` installs the sampler for one generation through llama-cpp-python's sampler
seam (`Llama._init_sampler`, whose result `Llama.sample` calls as `.sample(ctx, idx)`), so
the rest of its loop (prompt cache, stop strings, streaming, chat templates) is unchanged.
"""

from __future__ import annotations

import ctypes
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ALTERNATIVES_MAX = 32
"""A step keeps every allowed token's log probability when the grammar allowed at most this
many (enough for the labels of an enum); otherwise only the chosen token's."""


@dataclass(frozen=True, slots=True)
class TokenStep:
    """One sampled token and how likely the model found it."""

    token: int
    logprob: float
    """log p(token) under the model's distribution (temperature 1, before top-p/top-k),
    renormalised over the tokens the grammar allowed; 0.0 for a forced token."""
    n_allowed: int
    """How many tokens the grammar allowed (the whole vocabulary without a grammar)."""
    alternatives: tuple[tuple[int, float], ...] = ()
    """(token, logprob) of every allowed token, when at most `ALTERNATIVES_MAX` were."""

    @property
    def forced(self) -> bool:
        """The grammar allowed only this token: it says nothing about the model."""
        return self.n_allowed == 1


@dataclass(slots=True)
class Scores:
    """What one generation's scoring sampler recorded, in sampling order."""

    steps: list[TokenStep] = field(default_factory=list)
    supported: bool = True
    """False when the generation could not be scored (unsupported sampler settings or
    llama-cpp-python version); `steps` is then empty."""


class ScoringSampler:
    """Greedy or top-k/typical/top-p/min-p/temperature sampling like llama-cpp-python's own
    chain, with an optional grammar, recording a `TokenStep` per sampled token.

    Without a grammar the chosen token's log probability is one numpy log-sum-exp over the
    logits row (greedy picks by argmax; sampling by the C chain on the row itself). With a
    grammar the row is copied into a token-data array, the grammar's C sampler masks it,
    and the token is picked from the masked row (argmax, or the C chain on the array).
    """

    def __init__(
        self,
        llm: Any,
        steps: list[TokenStep],
        *,
        temp: float,
        top_k: int,
        top_p: float,
        min_p: float,
        typical_p: float,
        seed: int,
        grammar: Any,
    ) -> None:
        from llama_cpp import llama_cpp as lib

        self._lib = lib
        self._n_vocab = n = int(llm.n_vocab())
        self.steps = steps
        self._grammar: Any = None
        self._chain: Any = None
        if grammar is not None:
            self._grammar = lib.llama_sampler_init_grammar(
                llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
            )
            if not self._grammar:
                raise ValueError("llama.cpp rejected the grammar")
        if temp != 0.0:
            self._chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
            parts = []
            if temp > 0.0:  # temp < 0: sample the raw distribution, as llama-cpp-python does
                parts = [
                    lib.llama_sampler_init_top_k(top_k),
                    lib.llama_sampler_init_typical(typical_p, 1),
                    lib.llama_sampler_init_top_p(top_p, 1),
                    lib.llama_sampler_init_min_p(min_p, 1),
                    lib.llama_sampler_init_temp(temp),
                ]
            for part in [*parts, lib.llama_sampler_init_dist(seed)]:
                lib.llama_sampler_chain_add(self._chain, part)
        self._data = (lib.llama_token_data * n)()
        self._array: Any = lib.llama_token_data_array()
        self._view: Any = np.ctypeslib.as_array(self._data)
        self._ids = np.arange(n, dtype=np.int32)
        self._reordered = True  # the chain sorts and truncates the array: reload the ids
        self._logits: Any = np.empty(n, dtype=np.float32)  # the masked row, contiguous
        self._work: Any = np.empty(n, dtype=np.float32)

    def sample(self, ctx: Any, idx: int = -1) -> int:
        """Pick the next token from the logits of output `idx` (what `Llama.sample` calls)."""
        lib, n = self._lib, self._n_vocab
        row = np.ctypeslib.as_array(lib.llama_get_logits_ith(ctx.ctx, idx), shape=(n,))
        if self._grammar is None:  # free text: the row is the distribution
            best = int(row.argmax())
            top = float(row[best])
            if self._chain is None:
                token = best
            else:
                token = int(lib.llama_sampler_sample(self._chain, ctx.ctx, idx))
            logprob = float(row[token]) - top - self._log_sum_exp(row, top)
            self.steps.append(TokenStep(token, logprob, n))
            return token
        logits, n_allowed = self._masked(row)
        best = int(logits.argmax())
        top = float(logits[best])
        log_total = self._log_sum_exp(logits, top)
        if self._chain is None:
            token = best
        else:
            array = self._array
            lib.llama_sampler_apply(self._chain, ctypes.byref(array))
            self._reordered = True
            token = int(array.data[array.selected].id)
        alternatives: tuple[tuple[int, float], ...] = ()
        if 1 < n_allowed <= ALTERNATIVES_MAX:
            allowed = np.flatnonzero(np.isfinite(logits))
            alternatives = tuple((int(t), float(logits[t]) - top - log_total) for t in allowed)
        logprob = 0.0 if n_allowed == 1 else float(logits[token]) - top - log_total
        lib.llama_sampler_accept(self._grammar, token)
        self.steps.append(TokenStep(token, logprob, n_allowed, alternatives))
        return token

    def _masked(self, row: Any) -> tuple[Any, int]:
        """Load `row` into the token-data array and let the grammar mask it; returns the
        masked logits (a contiguous copy the chain can't reorder) and how many tokens the
        grammar allowed."""
        view, array = self._view, self._array
        if self._reordered:
            view["id"] = self._ids
            array.data = ctypes.cast(self._data, ctypes.POINTER(self._lib.llama_token_data))
            self._reordered = False
        view["logit"] = row
        array.size, array.selected, array.sorted = self._n_vocab, -1, False
        self._lib.llama_sampler_apply(self._grammar, ctypes.byref(array))
        logits = self._logits
        np.copyto(logits, view["logit"])
        return logits, self._n_vocab - int(np.count_nonzero(np.isneginf(logits)))

    def _log_sum_exp(self, logits: Any, top: float) -> float:
        """log sum(exp(logits - top)), in a preallocated buffer."""
        work = self._work
        np.subtract(logits, top, out=work)
        np.exp(work, out=work)
        return math.log(float(work.sum()))

    def close(self) -> None:
        """Free the C samplers (idempotent)."""
        for name in ("_grammar", "_chain"):
            sampler = getattr(self, name, None)
            if sampler:
                self._lib.llama_sampler_free(sampler)
                setattr(self, name, None)

    def __del__(self) -> None:
        self.close()


_NEUTRAL = {
    "repeat_penalty": 1.0,
    "frequency_penalty": 0.0,
    "presence_penalty": 0.0,
    "mirostat_mode": 0,
    "logits_processor": None,
}
"""Sampler settings `ScoringSampler` leaves out; any other value falls back to the
unscored llama-cpp-python chain (the pool never sets them)."""


@contextmanager
def scoring(llm: Any) -> Iterator[Scores]:
    """Score the tokens `llm` samples inside this block (one generation)."""
    scores = Scores()
    original = getattr(llm, "_init_sampler", None)
    if original is None or not hasattr(llm, "_sampler"):
        scores.supported = False
        yield scores
        return
    made: list[ScoringSampler] = []

    def init_sampler(**kwargs: Any) -> Any:
        unsupported = [k for k, v in _NEUTRAL.items() if kwargs.get(k, v) != v]
        if unsupported or made:
            log.debug("generation not scored (%s)", unsupported or "second sampler")
            scores.supported, scores.steps = False, []
            return original(**kwargs)
        sampler = ScoringSampler(
            llm,
            scores.steps,
            temp=kwargs.get("temp", 0.8),
            top_k=kwargs.get("top_k", 40),
            top_p=kwargs.get("top_p", 0.95),
            min_p=kwargs.get("min_p", 0.05),
            typical_p=kwargs.get("typical_p", 1.0),
            seed=int(llm._seed),
            grammar=kwargs.get("grammar"),
        )
        made.append(sampler)
        return sampler

    llm._init_sampler = init_sampler
    try:
        yield scores
    finally:
        llm.__dict__.pop("_init_sampler", None)
        for sampler in made:
            if llm._sampler is sampler:
                llm._sampler = None
            sampler.close()
