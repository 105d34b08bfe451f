"""The `agent` node kind: a model that may call tools from an explicit allow-list (within
the workflow's grants), one JSON action per turn, bounded by steps, tool calls (in all and
per tool), cost and a deadline. Every turn, call, result and refusal is an event; calls go
through the governed `ToolGateway`, so they are scoped, gated and audited like tool nodes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from engine.errors import NodeError
from engine.nodes.base import KindConfig, NodeContext, NodeKind, NodeResult, PortSpec
from engine.nodes.basic import _port_names
from engine.nodes.toolbox import builtin_tools
from engine.providers.base import ChatMessage, ModelRequest, ProviderError
from engine.sandbox import check_template, render
from engine.tools import actions
from engine.tools.base import Tool
from engine.tools.errors import ToolRefused
from engine.tools.events import AgentFinished, AgentTurn
from engine.tools.gateway import ToolGateway
from engine.tools.registry import ToolRegistry, granted


class Example(KindConfig):
    role: Literal["user", "assistant"]
    content: str


class AgentConfig(KindConfig):
    task: str = Field(description="Jinja2 template of the task, over the inputs.")
    system: str | None = Field(default=None, description="Extra instructions (template).")
    inputs: list[str] = Field(default_factory=lambda: ["in"], description="Input port names.")
    tools: list[str] = Field(min_length=1, description="Tools offered (workflow must grant).")
    scopes: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Narrower scopes by tool (intersected with grants)."
    )
    examples: list[Example] = Field(
        default_factory=list, description="Few-shot turns shown before the task."
    )
    model: str = "auto"
    max_steps: int = Field(default=6, ge=1, le=100, description="Model turns.")
    max_tool_calls: int = Field(default=8, ge=0, le=500)
    max_calls_per_tool: dict[str, int] = Field(
        default_factory=dict, description="Per-tool cap; a tool at its cap is no longer offered."
    )
    required_tools: list[str] = Field(
        default_factory=list,
        description="Tools that must have succeeded before the agent may finish (e.g. save "
        "its note); `final` is not offered until then, unless no tool is left to call.",
    )
    max_cost_usd: float | None = Field(default=None, ge=0)
    deadline_s: float | None = Field(default=300.0, gt=0, le=86400)
    max_tokens: int = Field(default=256, ge=16, le=32768, description="Per model turn.")
    temperature: float = Field(default=0.0, ge=0, le=2)
    seed: int | None = 0
    max_result_chars: int = Field(default=2000, ge=100, le=100_000)
    on_refusal: Literal["continue", "fail"] = "continue"
    """continue: the refusal is fed back to the model; fail: the node fails."""

    _check_inputs = field_validator("inputs")(_port_names)


class AgentKind(NodeKind[AgentConfig]):
    name = "agent"
    description = "A model that calls granted tools, within step, call, cost and time limits"
    icon = "agent"
    config_model = AgentConfig
    cacheable = False

    def __init__(self, tools: ToolRegistry | None = None) -> None:
        self.tools = tools if tools is not None else builtin_tools()

    def input_ports(self, config: AgentConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: AgentConfig) -> list[PortSpec]:
        return [
            PortSpec("answer", "string"),
            PortSpec("steps", "array"),
            PortSpec("tool_calls", "integer"),
        ]

    def check(self, config: AgentConfig, base_dir: Path | None) -> list[str]:
        problems = [f"unknown tool {n!r}" for n in config.tools if n not in self.tools]
        problems += [
            f"required tool {n!r} is not in `tools`"
            for n in config.required_tools
            if n not in config.tools
        ]
        sources = [config.task] + ([config.system] if config.system else [])
        return problems + [p for source in sources if (p := check_template(source))]

    async def run(
        self, ctx: NodeContext, config: AgentConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        grants = ctx.policy.allowed_tools or ()
        await self.tools.prepare(  # MCP servers list their tools (granted ones only)
            [n for n in config.tools if granted(n, grants)], offline=ctx.policy.offline
        )
        return await _AgentRun(self.tools, ctx, config, inputs).loop()


class _AgentRun:
    """State of one agent attempt."""

    def __init__(
        self, tools: ToolRegistry, ctx: NodeContext, config: AgentConfig, inputs: dict[str, Any]
    ) -> None:
        self.ctx = ctx
        self.config = config
        try:
            self.provider, self.model = ctx.providers.resolve(config.model)
        except ProviderError as exc:
            raise NodeError(str(exc), error_class="model") from None
        self.gateway = ToolGateway(
            ctx, tools, offered=config.tools, scopes=config.scopes, actor="agent", model=self.model
        )
        self.offered: list[Tool] = tools.expand(config.tools)
        variables = {"inputs": inputs, "run": ctx.run_inputs, **inputs}
        system = render(config.system, variables) if config.system else None
        self.messages = [ChatMessage("system", actions.system_prompt(self.offered, system))]
        self.messages += [ChatMessage(e.role, e.content) for e in config.examples]
        self.messages.append(ChatMessage("user", "Task: " + render(config.task, variables)))
        self.result = NodeResult({}, model=self.model, provider=self.provider.name)
        self.steps: list[dict[str, Any]] = []
        self.per_tool: dict[str, int] = {}
        self.succeeded: set[str] = set()
        self.refusals = 0
        self.deadline = time.monotonic() + config.deadline_s if config.deadline_s else None

    def _available(self) -> list[Tool]:
        if self.gateway.calls >= self.config.max_tool_calls:
            return []
        caps = self.config.max_calls_per_tool
        return [t for t in self.offered if self.per_tool.get(t.name, 0) < caps.get(t.name, 1 << 30)]

    def _may_finish(self) -> bool:
        return set(self.config.required_tools) <= self.succeeded

    def _limit(self) -> str | None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "deadline"
        cap = self.config.max_cost_usd
        return "max_cost" if cap is not None and self.result.cost_usd > cap else None

    async def loop(self) -> NodeResult:
        step = 0
        try:
            async with asyncio.timeout_at(self._loop_deadline()):
                for step in range(1, self.config.max_steps + 1):
                    if limit := self._limit():
                        return self._finish(step - 1, limit, None)
                    action = await self._turn(step)
                    if action is None:
                        continue
                    if action.get("action") == "final":
                        if self._may_finish() or not self._available():
                            return self._finish(step, "final", str(action.get("answer", "")))
                        self._not_yet(step)
                        continue
                    tool, arguments = str(action.get("tool")), action.get("arguments") or {}
                    await self._call(step, tool, arguments)
        except TimeoutError:
            return self._finish(step, "deadline", None)
        return self._finish(self.config.max_steps, "max_steps", None)

    def _loop_deadline(self) -> float | None:
        if self.deadline is None:
            return None
        return asyncio.get_running_loop().time() + (self.deadline - time.monotonic())

    async def _turn(self, step: int) -> dict[str, Any] | None:
        request = ModelRequest(
            messages=list(self.messages),
            max_tokens=self.config.max_tokens,
            temperature=self.config.temperature,
            seed=self.config.seed,
            json_schema=actions.action_schema(self._available(), self._may_finish()),
        )
        try:
            reply = await self.provider.generate(self.model, request, self.ctx.token)
        except ProviderError as exc:
            raise NodeError(
                str(exc), error_class="transient" if exc.transient else "model"
            ) from None
        self.result.prompt_tokens += reply.prompt_tokens
        self.result.completion_tokens += reply.completion_tokens
        self.result.cost_usd += reply.cost_usd
        action = (
            reply.json_value if reply.json_valid and isinstance(reply.json_value, dict) else None
        )
        error = None if action is not None else (reply.json_error or "not a JSON action")
        self.ctx.emit(
            AgentTurn,
            {
                "step": step,
                "model": reply.model,
                "text": reply.text,
                "action": action,
                "error": error,
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
            },
        )
        if action is None:
            self.steps.append({"step": step, "status": "invalid", "message": error})
            self.messages.append(ChatMessage("assistant", reply.text))
            self.messages.append(
                ChatMessage("user", f"Invalid action ({error}). Reply with one JSON action.")
            )
            return None
        self.messages.append(ChatMessage("assistant", actions.dump_action(action)))
        return action

    async def _call(self, step: int, tool: str, arguments: dict[str, Any]) -> None:
        capped = tool in {t.name for t in self.offered} - {t.name for t in self._available()}
        self.per_tool[tool] = self.per_tool.get(tool, 0) + 1
        if capped:
            outcome = self.gateway.refuse(tool, arguments, "this node's tool-call limit is reached")
        else:
            outcome = await self.gateway.call(tool, arguments)
        record = {"step": step, "tool": tool, "status": outcome.status}
        if outcome.ok:
            self.succeeded.add(tool)
            text = actions.result_message(tool, outcome.result, self.config.max_result_chars)
        else:
            record["message"] = outcome.message
            if outcome.status == "refused":
                self.refusals += 1
                if self.config.on_refusal == "fail":
                    self.steps.append(record)
                    raise ToolRefused(f"agent asked for a refused call: {outcome.message}")
                text = actions.refusal_message(tool, outcome.message)
            else:
                text = f"ERROR from {tool}: {outcome.message}. Choose another action."
        self.steps.append(record)
        gone = [t.name for t in self.offered if t not in self._available()]
        if gone:
            text += "\nNo longer available: " + ", ".join(gone) + "."
        self.messages.append(ChatMessage("user", text))

    def _not_yet(self, step: int) -> None:
        missing = sorted(set(self.config.required_tools) - self.succeeded)
        self.steps.append({"step": step, "status": "not_finished", "message": "required tools"})
        text = f"Not finished: call {', '.join(missing)} before the final answer."
        self.messages.append(ChatMessage("user", text))

    def _finish(self, steps: int, reason: str, answer: str | None) -> NodeResult:
        self.ctx.emit(
            AgentFinished,
            {
                "steps": steps,
                "tool_calls": self.gateway.calls,
                "refusals": self.refusals,
                "reason": reason,
                "answer": answer or "",
            },
        )
        if answer is None:
            raise NodeError(
                f"agent stopped without an answer ({reason} after {steps} steps, "
                f"{self.gateway.calls} tool calls)",
                error_class="timeout" if reason == "deadline" else "model",
            )
        self.result.outputs = {
            "answer": answer,
            "steps": self.steps,
            "tool_calls": self.gateway.calls,
        }
        return self.result
