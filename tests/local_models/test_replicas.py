"""Replicas, FIFO fairness and KV prefix reuse in the inference pool, on the real SmolLM2."""

from __future__ import annotations

import asyncio
import os

import pytest

from local_models import SMOLLM2_ID, InferencePool, ModelCatalog
from local_models.replicas import replica_count, split_threads

SYSTEM = (
    "You are the dispatcher of a logistics company. Trucks leave the Rotterdam warehouse "
    "every weekday at 06:00 and 14:00; express parcels take the early truck, refrigerated "
    "goods need a cooling box booked a day ahead, oversized items travel by freight and "
    "take three extra days, and customs papers are needed outside the EU. "
) * 3


def _user(text: str, system: str | None = None) -> list[dict[str, str]]:
    head = [{"role": "system", "content": system}] if system else []
    return [*head, {"role": "user", "content": text}]


def test_threads_are_split_so_replicas_never_oversubscribe_the_cores() -> None:
    assert split_threads(2, 2) == [1, 1]
    assert split_threads(2, 1) == [2]
    assert split_threads(5, 2) == [3, 2]
    assert replica_count(8, SMOLLM2_ID, n_threads=2) == 2  # capped: one thread each
    assert replica_count({SMOLLM2_ID: 2}, SMOLLM2_ID, n_threads=4) == 2
    assert replica_count({"other": 3}, SMOLLM2_ID, n_threads=4) == 2  # the default
    assert replica_count(None, "unknown-model", n_threads=4) == 1
    assert replica_count(None, SMOLLM2_ID, n_threads=1) == 1  # never more than the threads


@pytest.mark.model
@pytest.mark.slow
def test_replicas_answer_parallel_requests_each_correctly(replica_pool: InferencePool) -> None:
    assert replica_pool.layout(SMOLLM2_ID) == [1, 1]
    capitals = {
        "France": "paris",
        "Japan": "tokyo",
        "Italy": "rome",
        "Germany": "berlin",
        "Spain": "madrid",
        "England": "london",
    }

    async def run() -> list[tuple[str, int]]:
        results = await asyncio.gather(
            *(
                replica_pool.chat(
                    SMOLLM2_ID,
                    _user(f"What is the capital of {country}? Answer in one word."),
                    max_tokens=12,
                )
                for country in capitals
            )
        )
        return [(r.text.lower(), r.replica) for r in results]

    answers = asyncio.run(run())
    for (country, capital), (answer, _) in zip(capitals.items(), answers, strict=True):
        assert capital in answer, (country, answer)
    assert {replica for _, replica in answers} == {0, 1}  # both contexts served requests


@pytest.mark.model
@pytest.mark.slow
def test_requests_on_one_replica_finish_in_the_order_they_came(
    queue_pool: InferencePool,
) -> None:
    finished: list[int] = []

    async def one(i: int) -> int:
        result = await queue_pool.chat(
            SMOLLM2_ID, _user(f"Count from {i} to 100, one number per line."), max_tokens=8
        )
        finished.append(i)
        return result.completion_tokens

    async def run() -> list[int]:
        return await asyncio.gather(*(one(i) for i in range(5)))

    tokens = asyncio.run(run())
    assert tokens == [8] * 5  # equal length: only the queue decides the order
    assert finished == [0, 1, 2, 3, 4]


@pytest.mark.model
@pytest.mark.slow
def test_a_shared_system_prompt_is_not_evaluated_again(pool: InferencePool) -> None:
    first = asyncio.run(pool.chat(SMOLLM2_ID, _user("When do trucks leave?", SYSTEM), max_tokens=4))
    second = asyncio.run(
        pool.chat(SMOLLM2_ID, _user("How long does freight take?", SYSTEM), max_tokens=4)
    )
    assert first.prompt_tokens > 200
    # Only the new question (and the template around it) went through llama.cpp.
    evaluated = second.prompt_tokens - second.cached_tokens
    assert second.cached_tokens > 200
    assert evaluated < 30, (second.prompt_tokens, second.cached_tokens)


@pytest.mark.model
@pytest.mark.slow
def test_requests_sharing_a_prefix_go_to_the_replica_that_holds_it(
    replica_pool: InferencePool,
) -> None:
    async def run() -> tuple[int, int, int, int]:
        a = await replica_pool.chat(
            SMOLLM2_ID, _user("When do trucks leave?", SYSTEM), max_tokens=4
        )
        other = await replica_pool.chat(SMOLLM2_ID, _user("Say hello."), max_tokens=4)
        b = await replica_pool.chat(
            SMOLLM2_ID, _user("How long does freight take?", SYSTEM), max_tokens=4
        )
        return a.replica, other.replica, b.replica, b.prompt_tokens - b.cached_tokens

    a_replica, other_replica, b_replica, evaluated = asyncio.run(run())
    assert other_replica != a_replica  # the idle replica without the long prefix
    assert b_replica == a_replica
    assert evaluated < 30


@pytest.mark.model
@pytest.mark.slow
def test_cancelling_on_a_replica_stops_within_a_token_while_the_other_runs(
    replica_pool: InferencePool,
) -> None:
    received: list[str] = []
    cancelled_at: list[int] = []

    async def run() -> str:
        def on_token(piece: str) -> None:
            received.append(piece)
            if len(received) == 3:
                cancelled_at.append(len(received))
                task.cancel()

        story = _user("Write a very long story about a dragon and a knight.")
        task = asyncio.create_task(
            replica_pool.chat(SMOLLM2_ID, story, max_tokens=400, on_token=on_token)
        )
        neighbour = asyncio.create_task(
            replica_pool.chat(SMOLLM2_ID, _user("Name three colours."), max_tokens=24)
        )
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(20):  # let any token already queued for the loop arrive
            await asyncio.sleep(0)
        return (await neighbour).text

    neighbour_text = asyncio.run(run())
    assert cancelled_at == [3]
    assert len(received) - cancelled_at[0] <= 1
    assert neighbour_text


@pytest.mark.model
@pytest.mark.slow
def test_replicas_loading_at_once_leave_stdout_and_stderr_alone(catalog: ModelCatalog) -> None:
    """llama-cpp-python swaps fds 1 and 2 while loading; two loads at once used to leave
    them on /dev/null."""
    before = [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)]
    fresh = InferencePool(catalog, max_context=256, n_threads=2, replicas=2)
    try:

        async def run() -> list[int]:
            results = await asyncio.gather(
                *(fresh.complete(SMOLLM2_ID, f"{i}, {i + 1},", max_tokens=2) for i in range(2))
            )
            return [r.replica for r in results]

        assert sorted(asyncio.run(run())) == [0, 1]  # both loaded concurrently
    finally:
        fresh.close()
    assert [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)] == before
