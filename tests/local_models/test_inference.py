"""The inference pool on the real bundled models: chat, JSON, streaming, cancel, concurrency."""

from __future__ import annotations

import asyncio

import pytest

from local_models import GEMMA3_ID, SMOLLM2_ID, GenerationError, InferencePool, ModelCatalog

pytestmark = [pytest.mark.model, pytest.mark.slow]


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_chat_classifies_sentiment(pool: InferencePool) -> None:
    result = asyncio.run(
        pool.chat(SMOLLM2_ID, _user("Is this positive or negative: I love it"), max_tokens=24)
    )
    assert "positive" in result.text.lower()
    assert result.finish_reason in ("stop", "length")
    assert result.prompt_tokens > 5 and result.completion_tokens > 0
    assert result.ttft_s is not None and 0 < result.ttft_s <= result.total_s


def test_json_extraction_is_valid_against_the_schema(pool: InferencePool) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    prompt = "Extract the person as JSON with keys name and age: John is 31 years old."
    result = asyncio.run(pool.chat(SMOLLM2_ID, _user(prompt), max_tokens=64, json_schema=schema))
    assert result.json_valid is True, result.json_error
    assert result.json_error is None
    assert result.json_value["age"] == 31
    assert "John" in result.json_value["name"]


def test_streamed_tokens_add_up_to_the_text(pool: InferencePool) -> None:
    pieces: list[str] = []

    async def run() -> str:
        loop_thread = asyncio.get_running_loop()

        def on_token(piece: str) -> None:
            assert asyncio.get_running_loop() is loop_thread  # delivered on the loop
            pieces.append(piece)

        result = await pool.chat(
            SMOLLM2_ID, _user("Name three colours."), max_tokens=40, on_token=on_token
        )
        return result.text

    text = asyncio.run(run())
    assert len(pieces) > 3
    assert "".join(pieces) == text


def test_cancelling_the_task_stops_generation(pool: InferencePool) -> None:
    received: list[str] = []
    cancelled_at: list[int] = []

    async def run() -> None:
        def on_token(piece: str) -> None:
            received.append(piece)
            if len(received) == 3:
                cancelled_at.append(len(received))
                task.cancel()

        task = asyncio.create_task(
            pool.chat(
                SMOLLM2_ID,
                _user("Write a very long story about a dragon and a knight."),
                max_tokens=400,
                on_token=on_token,
            )
        )
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(20):  # let any token already queued for the loop arrive
            await asyncio.sleep(0)

    asyncio.run(run())
    assert cancelled_at == [3]
    assert len(received) - cancelled_at[0] <= 1
    # The model is free again at once: the cancelled job did not keep generating.
    follow_up = asyncio.run(pool.chat(SMOLLM2_ID, _user("Say hi."), max_tokens=8))
    assert follow_up.text


def test_parallel_requests_each_get_their_own_answer(pool: InferencePool) -> None:
    questions = {
        "France": "paris",
        "Japan": "tokyo",
        "Italy": "rome",
        "Germany": "berlin",
    }

    async def run() -> list[str]:
        results = await asyncio.gather(
            *(
                pool.chat(
                    SMOLLM2_ID,
                    _user(f"What is the capital of {country}? Answer in one word."),
                    max_tokens=12,
                )
                for country in questions
            )
        )
        return [r.text.lower() for r in results]

    answers = asyncio.run(run())
    for (country, capital), answer in zip(questions.items(), answers, strict=True):
        assert capital in answer, (country, answer)


def test_gemma_base_model_completes_a_few_shot_prompt(pool: InferencePool) -> None:
    prompt = "English: cat\nFrench: chat\nEnglish: dog\nFrench: chien\nEnglish: house\nFrench:"
    result = asyncio.run(pool.complete(GEMMA3_ID, prompt, max_tokens=8, stop=["\n"]))
    assert "maison" in result.text.lower()
    assert result.finish_reason == "stop"


def test_chat_on_a_base_model_is_refused(pool: InferencePool) -> None:
    with pytest.raises(GenerationError, match="chat template"):
        asyncio.run(pool.chat(GEMMA3_ID, _user("hello"), max_tokens=4))


def test_lru_unloads_idle_models_under_a_small_budget(catalog: ModelCatalog) -> None:
    small = InferencePool(catalog, memory_budget_bytes=1, max_context=512)
    try:
        asyncio.run(small.complete(SMOLLM2_ID, "One, two,", max_tokens=2))
        assert small.loaded() == [SMOLLM2_ID]
        asyncio.run(small.complete(GEMMA3_ID, "One, two,", max_tokens=2))
        assert small.loaded() == [GEMMA3_ID]
        with pytest.raises(GenerationError, match="context window of 512"):
            asyncio.run(small.complete(GEMMA3_ID, "word " * 2000, max_tokens=2))
    finally:
        small.close()
