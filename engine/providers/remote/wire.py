"""The request body for an endpoint, Retry-After parsing, and schema checks of output."""

from __future__ import annotations

import email.utils
import json
import re
import time
from typing import Any

from engine.providers.base import ModelRequest
from engine.providers.remote.endpoint import Endpoint

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def build_body(
    endpoint: Endpoint, model: str, request: ModelRequest, *, stream: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stream": stream,
    }
    if request.seed is not None:
        body["seed"] = request.seed
    if request.stop:
        body["stop"] = list(request.stop)
    if request.messages is not None:
        body["messages"] = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.logprobs:  # llama.cpp only reports them with top_logprobs set
            body["logprobs"], body["top_logprobs"] = True, 0
        if request.json_schema is not None and endpoint.json_mode == "llama_cpp":
            body["response_format"] = {"type": "json_object", "schema": request.json_schema}
        elif request.json_schema is not None and endpoint.json_mode == "openai":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": request.json_schema, "strict": True},
            }
    else:
        body["prompt"] = request.prompt
        if request.logprobs:
            body["logprobs"] = 1
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def check_schema(text: str, schema: dict[str, Any] | None) -> tuple[bool | None, Any, str | None]:
    """(json_valid, json_value, json_error) for `text` against `schema`; all None without one."""
    if schema is None:
        return None, None, None
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    try:
        value, _ = json.JSONDecoder().raw_decode(body, min(starts) if starts else 0)
    except ValueError as exc:
        return False, None, f"not valid JSON: {exc}"
    import jsonschema

    error = next(iter(jsonschema.Draft202012Validator(schema).iter_errors(value)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return False, value, f"{where}: {error.message}"
    return True, value, None


def estimate_prompt_tokens(request: ModelRequest) -> int:
    """A rough count (4 characters a token, plus per-message overhead) for budgets."""
    if request.messages is not None:
        return sum(len(m.content) // 4 + 4 for m in request.messages) + 2
    return len(request.prompt or "") // 4 + 1
