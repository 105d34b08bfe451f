"""The llm node kind: renders a prompt from its inputs and asks a model chosen per call by
its route policy (see `engine.routing`), streaming tokens into the run's events."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from engine.errors import NodeValidationError
from engine.nodes.base import (
    KindConfig,
    NodeContext,
    NodeKind,
    NodeRegistry,
    NodeResult,
    PortSpec,
)
from engine.nodes.basic import _port_names
from engine.providers.base import ChatMessage, ModelRequest
from engine.routing.execute import RoutedCall
from engine.routing.policy import RoutePolicy
from engine.sandbox import check_template, render


class FewShot(KindConfig):
    """One worked example: what the user message would be, and the answer."""

    input: str
    output: str | dict[str, Any] | list[Any]


class LlmConfig(KindConfig):
    prompt: str = Field(description="Jinja2 template for the user message (or completion prompt).")
    system: str | None = Field(default=None, description="Jinja2 template for the system message.")
    inputs: list[str] = Field(default_factory=lambda: ["in"], description="Input port names.")
    model: str = Field(
        default="auto", description="Model id, or auto (the route policy decides per call)."
    )
    mode: Literal["chat", "completion"] = "chat"
    max_tokens: int = Field(default=256, ge=1, le=32768)
    temperature: float = Field(default=0.0, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    seed: int | None = Field(
        default=0,
        description="Fixed seed for reproducible output; null draws a fresh random seed per "
        "run (recorded in the trace), and with temperature > 0 the result is never cached.",
    )
    stop: list[str] = Field(default_factory=list)
    output_schema: dict[str, Any] | None = Field(
        default=None, description="JSON Schema the output must satisfy (adds the `json` port)."
    )
    strip: bool = Field(default=True, description="Strip surrounding whitespace from the text.")
    examples: list[FewShot] = Field(
        default_factory=list,
        description="Worked examples; a completion-only (base) model gets them as a "
        "few-shot prompt when the route sends a chat request to it.",
    )
    route: RoutePolicy = Field(
        default_factory=RoutePolicy,
        description="Per-call routing: pinned model or auto, tier, data sensitivity, cost and "
        "latency limits, escalation triggers and a fallback chain.",
    )

    _check_inputs = field_validator("inputs")(_port_names)


class LlmKind(NodeKind[LlmConfig]):
    name = "llm"
    description = "Ask a language model (local first, per route policy)"
    icon = "llm"
    config_model = LlmConfig

    def input_ports(self, config: LlmConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: LlmConfig) -> list[PortSpec]:
        ports = [PortSpec("text", "string")]
        if config.output_schema is not None:
            ports.append(PortSpec("json", "any"))
        return ports

    def is_cacheable(
        self, config: LlmConfig, registry: NodeRegistry, base_dir: Path | None
    ) -> bool:
        """Sampling without a fixed seed is meant to differ each run: never reused."""
        return not (config.temperature > 0 and config.seed is None)

    def check(self, config: LlmConfig, base_dir: Path | None) -> list[str]:
        sources = [config.prompt] + ([config.system] if config.system else [])
        return [p for source in sources if (p := check_template(source))]

    def build_request(self, config: LlmConfig, inputs: dict[str, Any]) -> ModelRequest:
        variables = {"inputs": inputs, **inputs}
        prompt = render(config.prompt, variables)
        common: dict[str, Any] = {
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "seed": config.seed if config.seed is not None else secrets.randbelow(2**31),
            "stop": tuple(config.stop),
            "json_schema": config.output_schema,
            "examples": tuple(
                (e.input, e.output if isinstance(e.output, str) else json.dumps(e.output))
                for e in config.examples
            ),
        }
        if config.mode == "completion":
            return ModelRequest(prompt=prompt, **common)
        messages = []
        if config.system:
            messages.append(ChatMessage("system", render(config.system, variables)))
        messages.append(ChatMessage("user", prompt))
        return ModelRequest(messages=messages, **common)

    async def run(self, ctx: NodeContext, config: LlmConfig, inputs: dict[str, Any]) -> NodeResult:
        request = self.build_request(config, inputs)
        model = config.route.model if config.route.model != "auto" else config.model
        pinned = None if model == "auto" else model
        result, spend = await RoutedCall(ctx, config.route, request, pinned).run()
        text = result.text.strip() if config.strip else result.text
        outputs: dict[str, Any] = {"text": text}
        if config.output_schema is not None:
            if not result.json_valid:
                raise NodeValidationError(
                    f"model output does not match the output schema: {result.json_error}"
                )
            outputs["json"] = result.json_value
        return NodeResult(
            outputs,
            model=result.model,
            provider=result.provider,
            prompt_tokens=spend.prompt_tokens,
            completion_tokens=spend.completion_tokens,
            cost_usd=spend.cost_usd,
        )
