"""The llm node kind against a scripted provider (fault injection: the real model's
grammar never produces invalid JSON, so a scripted provider makes that case)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from engine.providers.base import (
    ModelRequest,
    ModelResult,
    ProviderError,
    ProviderRegistry,
    TokenCallback,
)
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from engine.trace.events import NodeRetrying, NodeToken, RunEvent
from tests.engine.helpers import wf
from tests.support.kinds import make_registry


class ScriptedProvider:
    """Answers each request with the next scripted reply; records the requests."""

    name = "scripted"

    def __init__(self, replies: Sequence[str | Exception]) -> None:
        self.replies = list(replies)
        self.requests: list[ModelRequest] = []

    def models(self) -> list[str]:
        return ["scripted-1"]

    async def generate(
        self, model: str, request: ModelRequest, on_token: TokenCallback | None = None
    ) -> ModelResult:
        self.requests.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        for piece in reply.split(" "):
            if on_token:
                on_token(piece)
        valid, value, error = None, None, None
        if request.json_schema is not None:
            import json

            try:
                value = json.loads(reply)
                valid = isinstance(value, dict) and "label" in value
                error = None if valid else "missing label"
            except json.JSONDecodeError as exc:
                valid, error = False, str(exc)
        return ModelResult(
            reply,
            model,
            self.name,
            prompt_tokens=10,
            completion_tokens=3,
            cost_usd=0.001,
            json_value=value,
            json_valid=valid,
            json_error=error,
        )


def run_llm(
    config: dict[str, Any], provider: ScriptedProvider, policy: dict[str, Any] | None = None
) -> tuple[Any, list[RunEvent]]:
    node = {
        "id": "ask",
        "kind": "llm",
        "config": {"inputs": ["q"], **config},
        "policy": policy or {},
    }
    w = wf(
        [{"id": "q", "kind": "input"}, node, {"id": "o", "kind": "output"}],
        [("q.value", "ask.q"), ("ask.text", "o.value")],
        inputs=[{"name": "q", "default": "why?"}],
    )
    events: list[RunEvent] = []
    engine = Engine(
        make_registry(), ProviderRegistry([provider], default_model="scripted-1"), MemoryRunStore()
    )
    return asyncio.run(engine.run(w, {}, subscribers=[events.append])), events


def test_prompt_and_system_are_rendered_and_tokens_stream() -> None:
    provider = ScriptedProvider(["because it is"])
    result, events = run_llm({"system": "Be brief about {{ q }}", "prompt": "Q: {{ q }}"}, provider)
    assert result.outputs == {"o": "because it is"}
    (request,) = provider.requests
    assert request.messages is not None
    assert [(m.role, m.content) for m in request.messages] == [
        ("system", "Be brief about why?"),
        ("user", "Q: why?"),
    ]
    assert [e.text for e in events if isinstance(e, NodeToken)] == ["because", "it", "is"]
    assert (result.prompt_tokens, result.completion_tokens, result.cost_usd) == (10, 3, 0.001)


def test_completion_mode_sends_a_prompt() -> None:
    provider = ScriptedProvider(["done"])
    run_llm({"prompt": "Text: {{ q }}\nLabel:", "mode": "completion", "stop": ["\n"]}, provider)
    assert provider.requests[0].prompt == "Text: why?\nLabel:" and provider.requests[0].stop == (
        "\n",
    )


def test_invalid_json_is_a_validation_error_that_retries() -> None:
    provider = ScriptedProvider(["not json", '{"label": "ok"}'])
    schema = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}
    result, events = run_llm(
        {"prompt": "{{ q }}", "output_schema": schema},
        provider,
        {"retry": {"max_attempts": 2, "initial_delay_s": 0, "retry_on": ["validation"]}},
    )
    assert result.status == "succeeded"
    (retry,) = [e for e in events if isinstance(e, NodeRetrying)]
    assert retry.error_class == "validation" and "output schema" in retry.error


def test_provider_errors_map_to_error_classes() -> None:
    provider = ScriptedProvider([ProviderError("server busy", transient=True), "fine"])
    result, events = run_llm(
        {"prompt": "{{ q }}"}, provider, {"retry": {"max_attempts": 2, "initial_delay_s": 0}}
    )
    assert result.status == "succeeded"
    assert [e.error_class for e in events if isinstance(e, NodeRetrying)] == ["transient"]
    provider = ScriptedProvider([ProviderError("no such model")])
    result, _ = run_llm({"prompt": "{{ q }}"}, provider, {"retry": {"max_attempts": 3}})
    assert result.status == "failed" and "no such model" in (result.error or "")


def test_unknown_model_is_a_clear_failure() -> None:
    result, _ = run_llm({"prompt": "{{ q }}", "model": "gpt-nope"}, ScriptedProvider([]))
    assert result.status == "failed"
    assert "no provider serves model 'gpt-nope'" in (result.error or "")
