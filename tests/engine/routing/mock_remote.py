"""Remote providers over httpx.MockTransport (the transport seam) and a scripted local one."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from engine.providers.base import ModelRequest, ModelResult, ProviderError, TokenCallback
from engine.providers.remote import Endpoint, RemoteProvider, TransportRetry
from engine.providers.remote.wire import check_schema

FAST = TransportRetry(initial_delay_s=0.0, jitter=0.0, max_retry_after_s=0.5)


def sse(
    *pieces: str, finish: str | None = "stop", done: bool = True, logprob: float | None = -0.05
) -> bytes:
    out = b""
    for piece in pieces:
        choice: dict[str, Any] = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
        if logprob is not None:
            choice["logprobs"] = {"content": [{"token": piece, "logprob": logprob}]}
        chunk = {"choices": [choice]}
        out += b"data: " + json.dumps(chunk).encode() + b"\n\n"
    if finish:
        out += (
            b"data: "
            + json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}).encode()
            + b"\n\n"
        )
    if done:
        out += b"data: [DONE]\n\n"
    return out


def streamed(*pieces: str, logprob: float = -0.05) -> Callable[[httpx.Request], httpx.Response]:
    """A streamed answer with token logprobs only when the request asks for them."""

    def answer(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content or b"{}").get("logprobs")
        body = sse(*pieces, logprob=logprob if asked else None)
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    return answer


class Recorder:
    """A MockTransport handler answering from a script of (status, body, headers)."""

    def __init__(
        self,
        script: Sequence[
            tuple[int, bytes, dict[str, str]] | Callable[[httpx.Request], httpx.Response]
        ],
    ) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(json.loads(request.content or b"{}"))
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if callable(step):
            return step(request)
        status, body, headers = step
        ctype = "text/event-stream" if body.startswith(b"data:") else "application/json"
        return httpx.Response(status, content=body, headers={"content-type": ctype, **headers})


def remote(
    handler: Recorder,
    name: str = "ep",
    models: tuple[str, ...] = ("big",),
    key: str | None = None,
    **endpoint: Any,
) -> RemoteProvider:
    ep = Endpoint(
        name, "http://remote.invalid/v1", models, **{"price_in": 1.0, "price_out": 2.0, **endpoint}
    )
    return RemoteProvider(ep, key, retry=FAST, transport=httpx.MockTransport(handler))


class ScriptedLocal:
    """An in-process provider (counts as local) answering from a script."""

    name = "local"

    def __init__(
        self,
        replies: Sequence[str | Exception],
        model: str = "tiny",
        confidence: float | None = None,
    ) -> None:
        self.replies = list(replies)
        self.model = model
        self.confidence = confidence
        """Reported with every answer, as the real local provider does."""
        self.requests: list[ModelRequest] = []

    def models(self) -> list[str]:
        return [self.model]

    async def generate(
        self, model: str, request: ModelRequest, on_token: TokenCallback | None = None
    ) -> ModelResult:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if on_token:
            on_token(reply)
        valid, value, error = check_schema(reply, request.json_schema)
        return ModelResult(
            reply,
            model,
            self.name,
            prompt_tokens=5,
            completion_tokens=3,
            json_valid=valid,
            json_value=value,
            json_error=error,
            extra={} if self.confidence is None else {"confidence": self.confidence},
        )


def fail(message: str = "boom", transient: bool = False) -> ProviderError:
    return ProviderError(message, transient=transient)
