"""Requests for completion-only (base) models: a chat request becomes a few-shot completion
prompt built from the node's system text and worked examples, so a base model can take a
rung of the escalation ladder."""

from __future__ import annotations

import dataclasses

from engine.providers.base import ModelRequest

INPUT, OUTPUT = "Input:", "Output:"


def needs_completion(capabilities: tuple[str, ...] | None, request: ModelRequest) -> bool:
    """A chat request to a model that only completes text."""
    return (
        request.messages is not None
        and capabilities is not None
        and "chat" not in capabilities
        and "completion" in capabilities
    )


def few_shot_request(request: ModelRequest) -> ModelRequest:
    """The same request as a completion prompt: the system text, each worked example as an
    Input/Output pair, then the user's message as the open Input."""
    messages = list(request.messages or ())
    system = "\n".join(m.content.strip() for m in messages if m.role == "system")
    users = [m.content.strip() for m in messages if m.role == "user"]
    parts = [system] if system else []
    parts += [f"{INPUT} {i.strip()}\n{OUTPUT} {o.strip()}" for i, o in request.examples]
    parts.append(f"{INPUT} {users[-1] if users else ''}\n{OUTPUT}")
    stop = tuple(dict.fromkeys([*request.stop, f"\n{INPUT}", "\n\n"]))
    return dataclasses.replace(request, messages=None, prompt="\n\n".join(parts), stop=stop)
