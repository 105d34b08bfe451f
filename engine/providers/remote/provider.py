"""`RemoteProvider`: an OpenAI-compatible endpoint over async httpx — streaming, structured
output, usage, cancellation, retries in one layer, circuit breaker, and no key ever leaking."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx

from engine.audit.secrets import register_secret
from engine.providers.base import ModelRequest, ModelResult, ProviderError, TokenCallback
from engine.providers.remote.calls import LOCAL_ONLY, current_call
from engine.providers.remote.endpoint import Endpoint
from engine.providers.remote.resilience import CircuitBreaker, TransportRetry
from engine.providers.remote.secrets import redact
from engine.providers.remote.stream import Decoded, MalformedResponse, StreamTruncated
from engine.providers.remote.wire import (
    build_body,
    check_schema,
    estimate_prompt_tokens,
    parse_retry_after,
)

log = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({500, 502, 503, 504})


class RemoteError(ProviderError):
    """A remote call failed; `retry_after_s` is the server's asked-for wait, if any."""

    def __init__(
        self, message: str, *, transient: bool = False, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, transient=transient)
        self.retry_after_s = retry_after_s


class _Fault(Exception):
    """One failed request; `retry` says whether another request may help."""

    def __init__(self, message: str, *, retry: bool, breaker: bool = True, wait: float = 0.0):
        super().__init__(message)
        self.retry, self.breaker, self.wait = retry, breaker, wait


class RemoteProvider:
    """Serves `<endpoint>/<model>` ids. Shared across runs; one HTTP client per event loop."""

    remote = True

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: str | None = None,
        *,
        retry: TransportRetry | None = None,
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.name = f"remote:{endpoint.name}"
        self.retry = retry or TransportRetry()
        self.breaker = breaker or CircuitBreaker()
        self._api_key = api_key
        register_secret(api_key)
        self._transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None

    def __repr__(self) -> str:  # never show the key
        return f"RemoteProvider({self.endpoint.name!r}, {self.endpoint.base_url!r})"

    def models(self) -> list[str]:
        return [self.endpoint.qualified(m) for m in self.endpoint.models]

    def wire_model(self, model: str) -> str:
        prefix = self.endpoint.name + "/"
        return model[len(prefix) :] if model.startswith(prefix) else model

    async def generate(
        self, model: str, request: ModelRequest, on_token: TokenCallback | None = None
    ) -> ModelResult:
        call = current_call()
        if call.sensitivity in LOCAL_ONLY:  # second line of defence behind the router
            raise ProviderError(
                f"refusing to send {call.sensitivity} data to remote endpoint "
                f"{self.endpoint.name!r}: it never leaves this machine"
            )
        if call.offline:
            raise ProviderError(
                f"offline mode: no connection to remote endpoint {self.endpoint.name!r}"
            )
        if request.messages is None and request.prompt is None:
            raise ProviderError("a model request needs messages or a prompt")
        deadline = time.monotonic() + (call.deadline_s or self.endpoint.timeout_s)
        client, slots = self._ensure_client()
        async with slots:
            return await self._with_retries(client, model, request, on_token, deadline, call)

    async def _with_retries(
        self,
        client: httpx.AsyncClient,
        model: str,
        request: ModelRequest,
        on_token: TokenCallback | None,
        deadline: float,
        call: Any,
    ) -> ModelResult:
        name = self.endpoint.name
        last = ""
        for attempt in range(1, self.retry.max_attempts + 1):
            if not self.breaker.acquire():
                raise RemoteError(
                    f"endpoint {name!r} is out of rotation after repeated failures "
                    f"(circuit open; next probe in {self.breaker.retry_in():.0f}s)",
                    transient=True,
                )
            try:
                result = await self._once(client, model, request, on_token, deadline)
            except _Fault as fault:
                (self.breaker.record_failure if fault.breaker else self.breaker.release)()
                last = str(fault)
                left = deadline - time.monotonic()
                wait = fault.wait or self.retry.delay(attempt)
                if fault.wait and (fault.wait > self.retry.max_retry_after_s or fault.wait > left):
                    _report(call, "wait_refused", endpoint=name, wait_s=fault.wait, error=last)
                    raise RemoteError(
                        f"endpoint {name!r} answered {last} and asks to wait {fault.wait:.0f}s "
                        "(Retry-After), longer than this call may wait; not retried",
                        transient=True,
                        retry_after_s=fault.wait,
                    ) from None
                if not fault.retry or attempt == self.retry.max_attempts or wait >= left:
                    why = "" if fault.retry else " (not retryable)"
                    raise RemoteError(
                        f"endpoint {name!r} failed after {attempt} request(s){why}: {last}"
                    ) from None
                _report(call, "retry", endpoint=name, attempt=attempt, error=last, wait_s=wait)
                log.info("retrying %s in %.2fs after: %s", name, wait, last)
                await asyncio.sleep(wait)
                continue
            except BaseException:
                self.breaker.release()
                raise
            self.breaker.record_success()
            return result
        raise RemoteError(f"endpoint {name!r} failed: {last}")  # pragma: no cover

    async def _once(
        self,
        client: httpx.AsyncClient,
        model: str,
        request: ModelRequest,
        on_token: TokenCallback | None,
        deadline: float,
    ) -> ModelResult:
        chat = request.messages is not None
        stream = on_token is not None
        path = "/chat/completions" if chat else "/completions"
        body = build_body(self.endpoint, self.wire_model(model), request, stream=stream)
        left = max(0.001, deadline - time.monotonic())
        timeout = httpx.Timeout(
            min(self.retry.read_timeout_s, left),
            connect=min(self.retry.connect_timeout_s, left),
        )
        decoded = Decoded(chat=chat)
        started = time.perf_counter()
        first: float | None = None
        message: str | None = None
        fatal: str | None = None
        try:
            async with asyncio.timeout(left):
                url = self.endpoint.api_base + path
                headers = self._headers()
                async with client.stream(
                    "POST", url, json=body, headers=headers, timeout=timeout
                ) as response:
                    if response.status_code != 200:
                        await response.aread()
                        raise self._status_fault(response)
                    if stream:
                        async for line in response.aiter_lines():
                            piece = decoded.feed_line(line)
                            if piece and on_token is not None:
                                first = first or time.perf_counter()
                                on_token(piece)
                    else:
                        decoded.feed_chunk(_json_body(await response.aread()), streamed=False)
            decoded.finish()
        except _Fault:
            raise
        except TimeoutError:
            message = "no complete answer within the call's deadline"
        except httpx.TimeoutException as exc:
            message = f"{type(exc).__name__} (server too slow)"
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            message = f"connection failed: {type(exc).__name__}: {exc}"
        except StreamTruncated as exc:
            message = str(exc)
        except MalformedResponse as exc:
            raise _Fault(self._clean(f"malformed response: {exc}"), retry=False) from None
        except httpx.HTTPError as exc:  # protocol, decoding, redirect errors: not transient
            fatal = f"{type(exc).__name__}: {exc}"
        if message is not None:
            raise _Fault(self._clean(message), retry=True)
        if fatal is not None:
            raise _Fault(self._clean(fatal), retry=False)
        return self._result(model, request, decoded, started, first)

    def _result(
        self,
        model: str,
        request: ModelRequest,
        decoded: Decoded,
        started: float,
        first: float | None,
    ) -> ModelResult:
        estimated = decoded.prompt_tokens is None or decoded.completion_tokens is None
        prompt_tokens = decoded.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = estimate_prompt_tokens(request)
        completion_tokens = decoded.completion_tokens
        if completion_tokens is None:  # llama.cpp streams one token per chunk
            completion_tokens = max(len(decoded.pieces), len(decoded.logprobs))
        text = decoded.text
        valid, value, error = check_schema(text, request.json_schema)
        return ModelResult(
            text=text,
            model=model,
            provider=self.name,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=self.endpoint.cost_usd(prompt_tokens, completion_tokens),
            duration_s=time.perf_counter() - started,
            ttft_s=None if first is None else first - started,
            finish_reason=decoded.finish_reason or "stop",
            json_value=value,
            json_valid=valid,
            json_error=error,
            extra={"confidence": decoded.confidence(), "usage_estimated": estimated},
        )

    def _status_fault(self, response: httpx.Response) -> _Fault:
        status = response.status_code
        detail = _shorten(self._clean(response.text).strip(), 200)  # redacted, then cut
        what = f"HTTP {status}" + (f": {detail}" if detail else "")
        if status == 429:
            wait = parse_retry_after(response.headers.get("retry-after"))
            return _Fault(what, retry=True, breaker=False, wait=wait or 0.0)
        if status in _RETRY_STATUS:
            wait = parse_retry_after(response.headers.get("retry-after")) or 0.0
            return _Fault(what, retry=True, wait=wait)
        if status in (401, 403):
            return _Fault(f"HTTP {status}: the endpoint refused the API key", retry=False)
        return _Fault(what, retry=False, breaker=False)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _clean(self, text: str) -> str:
        return redact(text, self._api_key)

    def _ensure_client(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        if self._client is None or self._slots is None or self._loop is not loop:
            self._loop = loop
            self._client = httpx.AsyncClient(transport=self._transport, trust_env=False)
            self._slots = asyncio.Semaphore(self.endpoint.max_concurrency)
        return self._client, self._slots

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = self._slots = self._loop = None


def _json_body(raw: bytes) -> Any:
    import json

    try:
        return json.loads(raw)
    except ValueError as exc:
        raise MalformedResponse(f"response body is not JSON: {exc}") from None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _report(call: Any, kind: str, **details: Any) -> None:
    if call.report is not None:
        call.report(kind, details)
