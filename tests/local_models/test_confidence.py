"""Confidence from token log probabilities: the JSON scoring rules on made-up steps, then on
the real SmolLM2 (and Gemma) with streaming, stop strings and cancellation."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from typing import Any

import pytest

from local_models import GEMMA3_ID, SMOLLM2_ID, InferencePool
from local_models.confidence import json_confidence, json_leaves, text_confidence
from local_models.generation import GenerationParams, run_generation
from local_models.token_scores import TokenStep


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _enum_schema(*labels: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"answer": {"enum": list(labels)}},
        "required": ["answer"],
        "additionalProperties": False,
    }


# -- the rules, on made-up steps ----------------------------------------------------------

TEXTS = {1: b'"', 2: b"pos", 3: b"neg", 4: b"ne", 5: b"p", 6: b" ", 7: b'"pos', 8: b'"neg'}


def _piece(token: int) -> bytes:
    return TEXTS[token]


def _step(token: int, *alternatives: tuple[int, float], n_allowed: int = 0) -> TokenStep:
    alts = tuple((t, math.log(p)) for t, p in alternatives)
    chosen = next((lp for t, lp in alts if t == token), 0.0)
    return TokenStep(token, chosen, n_allowed or max(len(alts), 1), alts)


def _forced(token: int) -> TokenStep:
    return TokenStep(token, 0.0, 1)


def _score(pieces: list[bytes], steps: list[TokenStep], schema: dict[str, Any]) -> float | None:
    return json_confidence(steps, pieces, schema, _piece)


SCHEMA3 = _enum_schema("pos", "neg", "neu")


def test_an_enum_scores_the_label_among_the_tokens_that_decide() -> None:
    # {"answer": "pos"}: the key is forced; `"` decides nothing; at `pos` the tokens that
    # keep "pos" (pos, p) hold 0.65 of the step; `ne` keeps neg and neu, not pos.
    pieces = [b'{"answer": ', b'"', b"pos", b'"}']
    steps = [
        _forced(0),
        _step(1, (1, 0.5), (6, 0.2), (7, 0.3)),  # a different split of the same label
        _step(2, (2, 0.6), (3, 0.2), (4, 0.15), (5, 0.05)),
        _step(9, (9, 0.1), (10, 0.9)),  # after the label is settled: does not count
    ]
    assert _score(pieces, steps, SCHEMA3) == pytest.approx(0.65)


def test_an_unpicked_token_that_keeps_k_labels_open_counts_one_kth() -> None:
    pieces = [b'{"answer": ', b'"', b"neg", b'"}']
    steps = [
        _forced(0),
        _forced(1),
        _step(3, (3, 0.5), (4, 0.2), (2, 0.3)),  # `ne` keeps neg and neu: half of 0.2
        _forced(9),
    ]
    assert _score(pieces, steps, SCHEMA3) == pytest.approx(0.6)


def test_whitespace_at_a_deciding_step_is_left_out_of_the_renormalisation() -> None:
    pieces = [b'{"answer":', b'"pos', b'"}']
    steps = [_forced(0), _step(7, (7, 0.4), (6, 0.5), (8, 0.1)), _forced(9)]
    assert _score(pieces, steps, SCHEMA3) == pytest.approx(0.8)


def test_forced_tokens_keys_and_one_label_enums_count_for_nothing() -> None:
    schema = {
        "type": "object",
        "properties": {
            "label": {"enum": ["pos", "neg"]},
            "n": {"type": "integer"},
            "c": {"const": "x"},
        },
    }
    pieces = [b'{"', b'label": "', b"pos", b'", "n": ', b"3", b"1", b', "c": "x"}']
    steps = [
        TokenStep(0, math.log(0.1), 2),  # an unlikely but free choice of punctuation
        _forced(0),
        _step(2, (2, 0.9), (3, 0.1)),
        _forced(0),
        TokenStep(11, math.log(0.5), 200),  # too many allowed tokens to keep: chosen p
        TokenStep(12, math.log(0.8), 200),
        _forced(0),
    ]
    # label: 0.9; n: geometric mean of 0.5 and 0.8; c: a const, forced; minimum over fields.
    assert _score(pieces, steps, schema) == pytest.approx(math.sqrt(0.4))
    assert _score([b'{"c": "x"}'], [_forced(0)], schema) == 1.0


def test_output_that_does_not_parse_falls_back_to_its_unforced_tokens() -> None:
    steps = [TokenStep(0, math.log(0.5), 9), _forced(0), TokenStep(0, math.log(0.2), 9)]
    assert _score([b'{"answer": ', b'"p', b"o"], steps, SCHEMA3) == pytest.approx(math.sqrt(0.1))


def test_json_leaves_have_paths_and_byte_spans() -> None:
    data = b'Sure: {"a": [1, {"b": "x\\"y"}], "c": null, "d": "\xc3\xa9"}'
    leaves = json_leaves(data)
    assert leaves is not None
    assert [(leaf.path, data[leaf.start : leaf.end]) for leaf in leaves] == [
        (("a", 0), b"1"),
        (("a", 1, "b"), b'"x\\"y"'),
        (("c",), b"null"),
        (("d",), b'"\xc3\xa9"'),
    ]
    assert json_leaves(b'{"a": ') is None


def test_free_text_confidence_is_the_geometric_mean() -> None:
    steps = [TokenStep(0, math.log(p), 100) for p in (0.5, 0.8, 0.2)]
    assert text_confidence(steps) == pytest.approx(0.08 ** (1 / 3))
    assert text_confidence([]) is None


# -- on the real models -------------------------------------------------------------------


def _run(llm: Any, *, cancel_after: int | None = None, **params: Any) -> Any:
    """`run_generation` on a bare Llama; returns (pass, streamed pieces)."""
    cancel = threading.Event()
    streamed: list[str] = []

    def emit(piece: str) -> None:
        streamed.append(piece)
        if cancel_after is not None and len(streamed) >= cancel_after:
            cancel.set()

    messages = params.pop("messages", None)
    result, _, _ = run_generation(
        llm,
        messages=messages,
        prompt=params.pop("prompt", None),
        params=GenerationParams(**params),
        json_strategy="grammar",
        cancel=cancel,
        emit=emit,
    )
    return result, streamed


@pytest.mark.parametrize("model_id", [SMOLLM2_ID, GEMMA3_ID])
@pytest.mark.model
@pytest.mark.slow
def test_free_text_confidence_is_exp_mean_token_logprob(pool: InferencePool, model_id: str) -> None:
    if model_id == SMOLLM2_ID:
        call = pool.chat(model_id, _user("Name three colours."), max_tokens=24)
    else:
        call = pool.complete(model_id, "The three primary colours are", max_tokens=24)
    result = asyncio.run(call)
    logprobs = result.token_logprobs
    assert result.text and logprobs
    assert abs(len(logprobs) - result.completion_tokens) <= 1
    assert all(lp <= 0.0 for lp in logprobs)
    assert result.confidence == pytest.approx(math.exp(sum(logprobs) / len(logprobs)))
    assert 0.0 < result.confidence < 1.0


@pytest.mark.model
@pytest.mark.slow
def test_confidence_off_reports_nothing_and_scoring_keeps_the_greedy_answer(
    smollm2_llm: Any,
) -> None:
    ask = {"messages": _user("Write a sentence about the sea."), "max_tokens": 40}
    _run(smollm2_llm, **ask)  # the prompt is cached from here on: same state for both
    off, _ = _run(smollm2_llm, confidence=False, **ask)
    on, _ = _run(smollm2_llm, **ask)
    assert off.text == on.text and len(on.text) > 20
    assert off.confidence is None and off.steps == []
    assert on.confidence is not None
    assert b"".join(on.pieces) == on.text.encode("utf-8")
    assert "_init_sampler" not in vars(smollm2_llm)  # the seam is put back


@pytest.mark.model
@pytest.mark.slow
def test_a_right_label_is_more_confident_than_a_forced_wrong_one(pool: InferencePool) -> None:
    question = _user("What colour is the sky on a clear day?")

    def ask(*labels: str) -> Any:
        schema = _enum_schema(*labels)
        return asyncio.run(pool.chat(SMOLLM2_ID, question, max_tokens=24, json_schema=schema))

    right = ask("blue", "green", "red", "yellow")
    wrong = ask("green", "red", "yellow", "purple")  # the right answer is not allowed
    assert right.json_value == {"answer": "blue"}
    assert right.confidence is not None and wrong.confidence is not None
    assert right.confidence > 0.6
    assert wrong.confidence < right.confidence - 0.2


@pytest.mark.model
@pytest.mark.slow
def test_a_one_label_enum_is_forced_and_scores_one(pool: InferencePool) -> None:
    schema = _enum_schema("purple")
    result = asyncio.run(
        pool.chat(SMOLLM2_ID, _user("What colour is grass?"), max_tokens=24, json_schema=schema)
    )
    assert result.json_value == {"answer": "purple"}
    # Braces, key and spacing were free choices with a probability below 1, yet none counts.
    assert min(result.token_logprobs) < -0.01
    assert result.confidence == 1.0


@pytest.mark.model
@pytest.mark.slow
def test_json_with_free_fields_scores_their_values(smollm2_llm: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    prompt = "Extract the person as JSON with keys name and age: John is 31 years old."
    result, _ = _run(smollm2_llm, messages=_user(prompt), max_tokens=48, json_schema=schema)
    assert b"".join(result.pieces) == result.text.encode("utf-8")
    assert json.loads(result.text) == {"name": "John", "age": 31}
    assert 0.0 < result.confidence <= 1.0
    # Only the values' tokens count: not the whole answer's geometric mean.
    everything = math.exp(sum(s.logprob for s in result.steps) / len(result.steps))
    assert result.confidence != pytest.approx(everything, abs=1e-3)


@pytest.mark.model
@pytest.mark.slow
def test_streamed_pieces_still_add_up_with_confidence_on(pool: InferencePool) -> None:
    pieces: list[str] = []

    async def run() -> Any:
        return await pool.chat(
            SMOLLM2_ID, _user("Name three colours."), max_tokens=32, on_token=pieces.append
        )

    result = asyncio.run(run())
    assert len(pieces) > 3 and "".join(pieces) == result.text
    assert result.confidence is not None


@pytest.mark.model
@pytest.mark.slow
def test_a_stop_string_ends_the_scored_tokens_too(smollm2_llm: Any) -> None:
    ask = {"messages": _user("Write two sentences about the sea."), "max_tokens": 48}
    _run(smollm2_llm, **ask)
    full, _ = _run(smollm2_llm, **ask)
    assert "." in full.text[:-1]
    cut, _ = _run(smollm2_llm, stop=(".",), **ask)
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.index(".")]
    assert b"".join(cut.pieces) == cut.text.encode("utf-8")
    n = len(cut.steps)
    assert 0 < n < len(full.steps)
    assert [s.logprob for s in cut.steps] == pytest.approx([s.logprob for s in full.steps[:n]])
    assert cut.confidence == pytest.approx(text_confidence(cut.steps))


@pytest.mark.model
@pytest.mark.slow
def test_cancelling_keeps_only_the_streamed_tokens_scored(smollm2_llm: Any) -> None:
    ask = {"messages": _user("Write a very long story about a dragon."), "max_tokens": 200}
    result, streamed = _run(smollm2_llm, cancel_after=3, **ask)
    assert result.finish_reason == "cancelled"
    assert len(streamed) == 3
    assert b"".join(result.pieces) == "".join(streamed).encode("utf-8") == result.text.encode()
    assert len(result.steps) <= 4 and result.confidence is not None
    after, _ = _run(smollm2_llm, messages=_user("Say hi."), max_tokens=8)
    assert after.text and after.confidence is not None


@pytest.mark.model
@pytest.mark.slow
def test_seeded_sampling_is_scored_without_changing_what_is_sampled(smollm2_llm: Any) -> None:
    ask = {"messages": _user("Invent a name for a cat."), "max_tokens": 16, "seed": 7}
    hot = {"temperature": 0.9, "top_p": 0.9}
    _run(smollm2_llm, **ask)  # the prompt is cached from here on: same state for all
    off, _ = _run(smollm2_llm, confidence=False, **hot, **ask)
    on, _ = _run(smollm2_llm, **hot, **ask)
    assert on.text == off.text
    assert on.confidence is not None and all(s.logprob <= 0.0 for s in on.steps)
    labelled = {**ask, **hot, "json_schema": _enum_schema("Tom", "Felix", "Luna", "Max")}
    off, _ = _run(smollm2_llm, confidence=False, **labelled)
    on, _ = _run(smollm2_llm, **labelled)
    assert on.text == off.text and on.text.replace(" ", "").startswith('{"answer":"')
    assert on.confidence is not None and 0.0 < on.confidence <= 1.0
