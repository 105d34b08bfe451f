"""RemoteProvider against httpx.MockTransport: decoding, structured output, the single retry
layer, Retry-After, truncation, malformed chunks, the circuit breaker, cancellation, and
keys never appearing in errors."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from engine.providers.base import ChatMessage, ModelRequest, ProviderError
from engine.providers.remote import CallContext, CircuitBreaker, RemoteError, call_context
from tests.engine.routing.mock_remote import Recorder, remote, sse

CHAT = ModelRequest(messages=[ChatMessage("user", "hi")], max_tokens=8)
SCHEMA = {"type": "object", "properties": {"label": {"enum": ["a", "b"]}}, "required": ["label"]}
KEY = "sk-canary-0123456789abcdef"


def gen(provider: Any, request: ModelRequest = CHAT, stream: bool = True, **ctx: Any) -> Any:
    tokens: list[str] = []

    async def go() -> Any:
        with call_context(CallContext(**ctx)):
            return await provider.generate("ep/big", request, tokens.append if stream else None)

    return asyncio.run(go()), tokens


def test_streams_chat_tokens_with_cost_and_confidence() -> None:
    rec = Recorder([(200, sse("Hello", " there"), {})])
    result, tokens = gen(remote(rec))
    assert tokens == ["Hello", " there"] and result.text == "Hello there"
    assert result.finish_reason == "stop" and result.model == "ep/big"
    assert rec.bodies[0]["model"] == "big" and rec.bodies[0]["stream"] is True
    assert result.completion_tokens == 2 and result.extra["usage_estimated"] is True
    assert result.cost_usd == pytest.approx((result.prompt_tokens * 1.0 + 2 * 2.0) / 1e6)
    assert result.extra["confidence"] == pytest.approx(0.951, abs=1e-3)


def test_non_streamed_body_uses_the_servers_usage() -> None:
    body = (
        b'{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":7,"completion_tokens":1}}'
    )
    result, _ = gen(remote(Recorder([(200, body, {})])), stream=False)
    assert (result.text, result.prompt_tokens, result.completion_tokens) == ("ok", 7, 1)
    assert result.cost_usd == pytest.approx((7 * 1.0 + 1 * 2.0) / 1e6)


def test_schema_goes_in_response_format_and_output_is_validated() -> None:
    rec = Recorder([(200, sse('{"label": "c"}'), {})])
    request = ModelRequest(messages=CHAT.messages, json_schema=SCHEMA)
    result, _ = gen(remote(rec), request)
    assert rec.bodies[0]["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert result.json_valid is False and "label" in (result.json_error or "")
    rec = Recorder([(200, sse('{"label": "b"}'), {})])
    result, _ = gen(remote(rec, json_mode="openai"), request)
    assert rec.bodies[0]["response_format"]["type"] == "json_schema"
    assert result.json_valid is True and result.json_value == {"label": "b"}


def test_5xx_and_resets_retry_with_backoff_then_succeed() -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    rec = Recorder([(503, b"{}", {}), reset, (200, sse("fine"), {})])
    reports: list[tuple[str, dict[str, Any]]] = []
    result, _ = gen(remote(rec), report=lambda k, d: reports.append((k, d)))
    assert result.text == "fine" and len(rec.requests) == 3
    assert [k for k, _ in reports] == ["retry", "retry"]
    assert "HTTP 503" in reports[0][1]["error"] and "ReadError" in reports[1][1]["error"]


def test_gives_up_after_max_attempts_without_marking_transient() -> None:
    rec = Recorder([(500, b"oops", {})])
    with pytest.raises(RemoteError) as err:
        gen(remote(rec))
    assert len(rec.requests) == 3 and "after 3 request(s)" in str(err.value)
    assert err.value.transient is False  # no second retry layer on top


def test_short_retry_after_is_honoured_long_one_is_reported_not_slept() -> None:
    rec = Recorder([(429, b"{}", {"Retry-After": "0"}), (200, sse("ok"), {})])
    result, _ = gen(remote(rec))
    assert result.text == "ok" and len(rec.requests) == 2
    rec = Recorder([(429, b"{}", {"Retry-After": "120"})])
    reports: list[tuple[str, dict[str, Any]]] = []
    with pytest.raises(RemoteError) as err:
        gen(remote(rec), report=lambda k, d: reports.append((k, d)))
    assert err.value.retry_after_s == 120 and len(rec.requests) == 1
    assert "asks to wait 120s" in str(err.value)
    assert reports == [("wait_refused", reports[0][1])] and reports[0][1]["wait_s"] == 120


@pytest.mark.parametrize("done", [True, False])
def test_a_stream_without_finish_reason_is_never_accepted(done: bool) -> None:
    rec = Recorder([(200, sse("partial", " answ", finish=None, done=done), {})])
    with pytest.raises(RemoteError, match="before a finish reason"):
        gen(remote(rec))
    assert len(rec.requests) == 3  # retried, and every truncated answer discarded


def test_malformed_chunk_is_a_clear_error_and_not_retried() -> None:
    rec = Recorder([(200, b'data: {"choices": [\n\n', {})])
    with pytest.raises(RemoteError, match="malformed response: stream chunk is not JSON"):
        gen(remote(rec))
    assert len(rec.requests) == 1


def test_key_is_sent_but_never_in_errors() -> None:
    rec = Recorder([(401, f'{{"error": "bad key Bearer {KEY}"}}'.encode(), {})])
    with pytest.raises(RemoteError) as err:
        gen(remote(rec, key=KEY))
    assert rec.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in str(err.value) and "refused the API key" in str(err.value)
    rec = Recorder([(400, f'{{"error": "echo {KEY} api_key={KEY}"}}'.encode(), {})])
    with pytest.raises(RemoteError) as err:
        gen(remote(rec, key=KEY))
    assert KEY not in str(err.value) and "[redacted]" in str(err.value)
    assert KEY not in repr(remote(rec, key=KEY))


def test_local_only_and_offline_calls_never_reach_the_transport() -> None:
    rec = Recorder([(200, sse("x"), {})])
    for ctx in ({"sensitivity": "local_only"}, {"sensitivity": "confidential"}, {"offline": True}):
        with pytest.raises(ProviderError):
            gen(remote(rec), **ctx)
    assert rec.requests == []


def test_circuit_opens_after_consecutive_failures_and_probes_after_cooldown() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, cooldown_s=30, clock=lambda: now[0])
    rec = Recorder([(503, b"{}", {})])
    provider = remote(rec)
    provider.breaker = breaker
    with pytest.raises(RemoteError):
        gen(provider)  # three failed requests open the circuit
    assert breaker.state == "open" and not breaker.available()
    with pytest.raises(RemoteError, match="circuit open"):
        gen(provider)
    assert len(rec.requests) == 3
    now[0] = 31.0
    assert breaker.state == "half_open" and breaker.available()
    rec.script = [(200, sse("back"), {})]
    result, _ = gen(provider)
    assert result.text == "back" and breaker.state == "closed"


def test_a_failed_half_open_probe_reopens_at_once() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown_s=10, clock=lambda: now[0])
    breaker.record_failure()
    breaker.record_failure()
    now[0] = 11.0
    assert breaker.acquire() and not breaker.acquire()  # one probe at a time
    breaker.record_failure()
    assert breaker.state == "open"


def test_cancelling_the_task_closes_the_stream() -> None:
    closed = asyncio.Event()
    started = asyncio.Event()

    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield b'data: {"choices":[{"delta":{"content":"a"},"finish_reason":null}]}\n\n'
            started.set()
            await asyncio.sleep(3600)
            yield b""

        async def aclose(self) -> None:
            closed.set()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Endless(), headers={"content-type": "text/event-stream"})

    provider = remote(Recorder([handler]))

    async def go() -> None:
        task = asyncio.create_task(provider.generate("ep/big", CHAT, lambda t: None))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(closed.wait(), 5)

    asyncio.run(go())
    assert provider.breaker.state == "closed"
