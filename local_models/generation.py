"""One generation on a loaded `Llama`, run in a worker thread: streaming, cancellation, JSON,
and the answer's confidence from the sampled tokens' log probabilities.

Nothing here touches asyncio; `emit` and the `cancel` event are the only links to callers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

from local_models.confidence import json_confidence, text_confidence
from local_models.errors import GenerationError
from local_models.structured import JsonCheck, check_json, grammar_for_schema, schema_outline
from local_models.token_scores import TokenStep, scoring

JsonStrategy = Literal["grammar", "validate_retry"]


@dataclass(frozen=True, slots=True)
class GenerationParams:
    """Sampling settings and output constraints of one request."""

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = 0
    stop: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = None
    confidence: bool = True
    """Record each sampled token's log probability and report `GenerationResult.confidence`
    (a numpy log-sum-exp over one logits row per token; see bench/local_confidence.py)."""


@dataclass(frozen=True, slots=True)
class GenerationResult:
    """Text, usage and timings of one request. Times are seconds from when it was submitted."""

    text: str
    model_id: str
    finish_reason: str
    """"stop" (end of text or a stop string), "length" (hit max_tokens) or "cancelled"."""
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float | None
    """Until the first streamed text; None if nothing was generated."""
    total_s: float
    queue_s: float = 0.0
    """Waiting behind other requests for the same model."""
    load_s: float = 0.0
    """Loading the model, when this request had to."""
    json_valid: bool | None = None
    json_value: Any = None
    json_error: str | None = None
    attempts: int = 1
    timings: dict[str, float] = field(default_factory=dict)
    cached_tokens: int = 0
    """Prompt tokens not evaluated because the context's KV cache already held them (a
    prefix shared with the previous request on the same replica)."""
    energy_j: float | None = None
    """An estimate: the replica's threads * generation wall time * a per-core wattage
    (`local_models.inference.WATTS_PER_CORE`); not a measurement."""
    replica: int = 0
    """Which of the model's replicas (contexts) served the request."""
    token_logprobs: tuple[float, ...] = ()
    """Natural-log probability of each generated token (of the final attempt), renormalised
    over the tokens a JSON grammar allowed (0.0 where it allowed only one); empty when
    confidence was off."""
    confidence: float | None = None
    """How sure the model was of its answer, 0..1: free text, the geometric-mean token
    probability, exp(mean(token_logprobs)); JSON, the least confident field value
    (`local_models.confidence.json_confidence`). None when confidence was off or nothing
    was generated."""


@dataclass(slots=True)
class _Pass:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    first_token_at: float | None
    cached_tokens: int = 0
    steps: list[TokenStep] = field(default_factory=list)
    """The scored tokens that made it into `text`, and their texts."""
    pieces: list[bytes] = field(default_factory=list)
    confidence: float | None = None


class _EvalCounter:
    """Wraps `Llama.eval` to count the tokens llama.cpp actually evaluates."""

    def __init__(self, llm: Any) -> None:
        self.tokens = 0
        self._eval = llm.eval

    def __call__(self, tokens: Sequence[int]) -> None:
        self.tokens += len(tokens)
        self._eval(tokens)


def count_evaluations(llm: Any) -> None:
    """Make `llm` count evaluated tokens, so results can report `cached_tokens`."""
    if not isinstance(getattr(llm, "eval", None), _EvalCounter):
        llm.eval = _EvalCounter(llm)


def _evaluated(llm: Any) -> int | None:
    counter = getattr(llm, "eval", None)
    return counter.tokens if isinstance(counter, _EvalCounter) else None


def run_generation(
    llm: Any,
    *,
    messages: Sequence[Mapping[str, str]] | None,
    prompt: str | None,
    params: GenerationParams,
    json_strategy: JsonStrategy,
    cancel: threading.Event,
    emit: Callable[[str], None],
) -> tuple[_Pass, JsonCheck | None, int]:
    """Generate; for JSON requests also validate (and maybe retry). Returns (pass, check, tries);
    the pass carries the answer's confidence when `params.confidence` is on."""
    result, check, tries = _generate(llm, messages, prompt, params, json_strategy, cancel, emit)
    if params.confidence and result.steps:
        schema = params.json_schema
        if schema is None:
            result.confidence = text_confidence(result.steps)
        else:
            result.confidence = json_confidence(
                result.steps, result.pieces, schema, lambda t: _piece(llm, t)
            )
    return result, check, tries


def _generate(
    llm: Any,
    messages: Sequence[Mapping[str, str]] | None,
    prompt: str | None,
    params: GenerationParams,
    json_strategy: JsonStrategy,
    cancel: threading.Event,
    emit: Callable[[str], None],
) -> tuple[_Pass, JsonCheck | None, int]:
    schema = params.json_schema
    if schema is None:
        return _stream(llm, messages, prompt, params, None, cancel, emit), None, 1
    if json_strategy == "grammar":
        result = _stream(llm, messages, prompt, params, grammar_for_schema(schema), cancel, emit)
        return result, check_json(result.text, schema), 1
    if messages is not None:
        messages = _with_schema_hint(messages, schema)
    result = _stream(llm, messages, prompt, params, None, cancel, emit)
    check = check_json(result.text, schema)
    if check.valid or result.finish_reason == "cancelled":
        return result, check, 1
    emit("\n")  # the retry's text follows the rejected attempt's in the stream
    if messages is not None:  # retry with the error as feedback
        messages = [
            *messages,
            {"role": "assistant", "content": result.text},
            {"role": "user", "content": f"Invalid: {check.error}. Reply with only the fixed JSON."},
        ]
        retry = _stream(llm, messages, None, params, None, cancel, emit)
    else:  # a completion prompt can't take feedback: constrain the retry instead
        retry = _stream(llm, None, prompt, params, grammar_for_schema(schema), cancel, emit)
    retry.prompt_tokens += result.prompt_tokens
    retry.completion_tokens += result.completion_tokens
    retry.cached_tokens += result.cached_tokens
    retry.first_token_at = result.first_token_at or retry.first_token_at
    return retry, check_json(retry.text, schema), 2


def _with_schema_hint(
    messages: Sequence[Mapping[str, str]], schema: dict[str, Any]
) -> list[Mapping[str, str]]:
    hint = f"\n\nAnswer with only a JSON value shaped like: {schema_outline(schema)}"
    out = list(messages)
    for i in range(len(out) - 1, -1, -1):
        if out[i].get("role") == "user":
            out[i] = {**out[i], "content": out[i]["content"] + hint}
            break
    return out


def _stream(
    llm: Any,
    messages: Sequence[Mapping[str, str]] | None,
    prompt: str | None,
    params: GenerationParams,
    grammar: Any,
    cancel: threading.Event,
    emit: Callable[[str], None],
) -> _Pass:
    kwargs: dict[str, Any] = {
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "seed": params.seed,
        "stop": list(params.stop) or None,
        "grammar": grammar,
        "stream": True,
    }
    chat = messages is not None
    try:
        with scoring(llm) if params.confidence else nullcontext() as scores:
            if chat:
                chunks = llm.create_chat_completion(
                    messages=[dict(m) for m in messages or ()], **kwargs
                )
            else:
                chunks = llm.create_completion(prompt=prompt or "", **kwargs)
            result = _consume(llm, chunks, chat, cancel, emit)
        if scores is not None and scores.supported:
            result.steps, result.pieces = _in_text(llm, scores.steps, result.text)
        return result
    except ValueError as exc:  # e.g. "Requested tokens (…) exceed context window of …"
        raise GenerationError(str(exc)) from exc
    except RuntimeError as exc:
        raise GenerationError(f"llama.cpp failed: {exc}") from exc


def _consume(
    llm: Any, chunks: Any, chat: bool, cancel: threading.Event, emit: Callable[[str], None]
) -> _Pass:
    pieces: list[str] = []
    finish, first_at, prompt_tokens = "length", None, None
    evaluated_before = _evaluated(llm)
    try:
        for chunk in chunks:
            if cancel.is_set():  # checked once per streamed token
                finish = "cancelled"
                break
            choice = chunk["choices"][0]
            piece = choice["delta"].get("content") if chat else choice["text"]
            if piece:
                if first_at is None:
                    first_at = time.perf_counter()
                    # The prompt is in the KV cache; tokens sampled since, but for the
                    # one just yielded, are too.
                    prompt_tokens = llm.n_tokens - max(0, _count_tokens(llm, piece) - 1)
                pieces.append(piece)
                emit(piece)
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    text = "".join(pieces)
    evaluated_after = _evaluated(llm)
    cached = 0
    if evaluated_before is not None and evaluated_after is not None:
        # Tokens in the context now = reused prefix + tokens evaluated by this pass.
        cached = max(0, int(llm.n_tokens) - (evaluated_after - evaluated_before))
    return _Pass(
        text=text,
        finish_reason=finish,
        prompt_tokens=prompt_tokens if prompt_tokens is not None else int(llm.n_tokens),
        completion_tokens=_count_tokens(llm, text),
        first_token_at=first_at,
        cached_tokens=cached,
    )


def _in_text(llm: Any, steps: list[TokenStep], text: str) -> tuple[list[TokenStep], list[bytes]]:
    """The sampled tokens that made it into `text` and their texts: not the end-of-text token,
    nor those after a stop string or a cancellation."""
    limit = len(text.encode("utf-8"))
    kept: list[TokenStep] = []
    pieces: list[bytes] = []
    at = 0
    for step in steps:
        if at >= limit:
            break
        piece = _piece(llm, step.token)
        kept.append(step)
        pieces.append(piece)
        at += len(piece)
    return kept, pieces


def _piece(llm: Any, token: int) -> bytes:
    return bytes(llm.detokenize([token]))


def _count_tokens(llm: Any, text: str) -> int:
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)) if text else 0
