"""The `tool` node kind: calls one granted tool with templated arguments (sandboxed Jinja on
string leaves) and puts its result on port `result`. The node may narrow the tool's scope
(config `scopes`), never widen it; every call goes through the governed `ToolGateway`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from engine.nodes.base import KindConfig, NodeContext, NodeKind, NodeResult, PortSpec
from engine.nodes.basic import _port_names
from engine.nodes.toolbox import builtin_tools
from engine.sandbox import check_expression, check_template, evaluate, render
from engine.tools.errors import ToolInvalid
from engine.tools.gateway import ToolGateway
from engine.tools.registry import ToolRegistry

_WHOLE_EXPRESSION = re.compile(r"^\{\{(.*)\}\}$", re.DOTALL)


class ToolNodeConfig(KindConfig):
    tool: str = Field(min_length=1, description="Tool name; the workflow policy must grant it.")
    arguments: dict[str, Any] = Field(
        default_factory=dict,
        description="Tool arguments; string values are Jinja templates over the inputs "
        "(a value that is exactly {{ expr }} keeps the expression's type).",
    )
    inputs: list[str] = Field(default_factory=lambda: ["in"], description="Input port names.")
    scopes: dict[str, Any] | None = Field(
        default=None, description="Narrower scope for this node (intersected with the grant)."
    )

    _check_inputs = field_validator("inputs")(_port_names)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _single_expression(text: str) -> str | None:
    """The expression of a value that is exactly `{{ expr }}`, else None."""
    whole = _WHOLE_EXPRESSION.match(text.strip())
    if whole and "{{" not in whole.group(1) and "}}" not in whole.group(1) and "{%" not in text:
        return whole.group(1).strip()
    return None


def render_value(value: Any, variables: dict[str, Any]) -> Any:
    """Render every string leaf; `{{ expr }}` alone evaluates to the expression's value."""
    if isinstance(value, str):
        expression = _single_expression(value)
        if expression is not None:
            return evaluate(expression, variables)
        return render(value, variables) if ("{{" in value or "{%" in value) else value
    if isinstance(value, dict):
        return {k: render_value(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, variables) for v in value]
    return value


class ToolKind(NodeKind[ToolNodeConfig]):
    name = "tool"
    description = "Call a granted tool (files, HTTP, SQL, search, workflows, MCP servers)"
    icon = "tool"
    config_model = ToolNodeConfig
    cacheable = False
    """Tools read a changing world or change it: never reuse a result."""

    def __init__(self, tools: ToolRegistry | None = None) -> None:
        self.tools = tools if tools is not None else builtin_tools()

    def input_ports(self, config: ToolNodeConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: ToolNodeConfig) -> list[PortSpec]:
        return [PortSpec("result", "any")]

    def check(self, config: ToolNodeConfig, base_dir: Path | None) -> list[str]:
        if config.tool not in self.tools:
            return [f"unknown tool {config.tool!r} (known: {', '.join(self.tools.names())})"]
        tool = self.tools.get(config.tool)  # None for a tool source's (MCP) until first use
        problems = []
        for source in _strings(config.arguments):
            expression = _single_expression(source)
            problem = check_expression(expression) if expression else check_template(source)
            if problem:
                problems.append(problem)
        if config.scopes is not None and tool is not None:
            try:
                tool.parse_scope(config.scopes)
            except ToolInvalid as exc:
                problems.append(str(exc))
        return problems

    async def run(
        self, ctx: NodeContext, config: ToolNodeConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        variables = {"inputs": inputs, "run": ctx.run_inputs, **inputs}
        arguments = render_value(config.arguments, variables)
        scopes = {config.tool: config.scopes} if config.scopes is not None else None
        gateway = ToolGateway(ctx, self.tools, offered=[config.tool], scopes=scopes)
        outcome = await gateway.call(config.tool, arguments)
        return NodeResult({"result": outcome.raise_for_status()})
