"""Simple node kinds: input, output, template and branch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from engine.errors import NodeError
from engine.nodes.base import (
    ConfigProblem,
    KindConfig,
    NodeContext,
    NodeKind,
    NodeResult,
    PortSpec,
)
from engine.sandbox import check_expression, check_template, evaluate, expression_names, render
from engine.workflow.inputs import type_matches
from engine.workflow.model import PORT_PATTERN, PortType

Ports = list[str]


def _port_names(names: list[str]) -> list[str]:
    import re

    for name in names:
        if not re.match(PORT_PATTERN, name):
            raise ValueError(f"{name!r} is not a valid port name")
    if len(set(names)) != len(names):
        raise ValueError("port names must be unique")
    return names


class InputConfig(KindConfig):
    name: str | None = Field(default=None, description="Workflow input to read; default node id.")


class InputKind(NodeKind[InputConfig]):
    """Emits the value of one declared workflow input."""

    name = "input"
    description = "A workflow input value"
    icon = "input"
    config_model = InputConfig
    cacheable = False

    def output_ports(self, config: InputConfig) -> list[PortSpec]:
        return [PortSpec("value")]

    async def run(
        self, ctx: NodeContext, config: InputConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        return NodeResult({"value": ctx.run_inputs.get(config.name or ctx.node_id)})


class OutputConfig(KindConfig):
    name: str | None = Field(default=None, description="Name in the run's outputs; default id.")


class OutputKind(NodeKind[OutputConfig]):
    """Publishes its input as one of the run's outputs."""

    name = "output"
    description = "A workflow output value"
    icon = "output"
    config_model = OutputConfig
    cacheable = False

    def input_ports(self, config: OutputConfig) -> list[PortSpec]:
        return [PortSpec("value")]

    def output_ports(self, config: OutputConfig) -> list[PortSpec]:
        return [PortSpec("value", description="The published value (may feed other nodes).")]

    async def run(
        self, ctx: NodeContext, config: OutputConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        return NodeResult({"value": inputs.get("value")})


class TemplateConfig(KindConfig):
    template: str = Field(description="Jinja2 template; input ports are its variables.")
    inputs: Ports = Field(default_factory=lambda: ["in"], description="Input port names.")
    output_type: PortType = Field(
        default="string",
        description="Declared type of `text`; other than string/any, the text is parsed as JSON.",
    )

    _check_inputs = field_validator("inputs")(_port_names)


class TemplateKind(NodeKind[TemplateConfig]):
    """Renders text from its inputs with a sandboxed Jinja2 template."""

    name = "template"
    description = "Render text from inputs with a Jinja2 template"
    icon = "template"
    config_model = TemplateConfig

    def input_ports(self, config: TemplateConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: TemplateConfig) -> list[PortSpec]:
        return [PortSpec("text", config.output_type)]

    def check(self, config: TemplateConfig, base_dir: Path | None) -> list[str]:
        problem = check_template(config.template)
        return [problem] if problem else []

    async def run(
        self, ctx: NodeContext, config: TemplateConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        text = render(config.template, {"inputs": inputs, **inputs})
        if config.output_type in ("string", "any"):
            return NodeResult({"text": text})
        # Any other declared type: the rendered text is JSON (e.g. a list for a map).
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NodeError(
                f"template output is not JSON for output_type {config.output_type}: {exc.msg}",
                error_class="validation",
            ) from None
        if not type_matches(config.output_type, value):
            raise NodeError(
                f"template output is {type(value).__name__}, not {config.output_type}",
                error_class="validation",
            )
        return NodeResult({"text": value})


class BranchCase(KindConfig):
    port: str = Field(pattern=PORT_PATTERN, description="Output port taken when `when` holds.")
    when: str = Field(description="Sandboxed expression over the input ports.")


class BranchConfig(KindConfig):
    inputs: Ports = Field(default_factory=lambda: ["in"])
    cases: list[BranchCase] = Field(min_length=1, description="Tried in order; first true wins.")
    default: str | None = Field(
        default=None, pattern=PORT_PATTERN, description="Port taken when no case holds."
    )

    _check_inputs = field_validator("inputs")(_port_names)


class BranchKind(NodeKind[BranchConfig]):
    """Routes its value to exactly one named output port; the others are skipped."""

    name = "branch"
    description = "Route to one of several outputs by a condition"
    icon = "branch"
    config_model = BranchConfig

    def input_ports(self, config: BranchConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: BranchConfig) -> list[PortSpec]:
        names = [case.port for case in config.cases]
        if config.default and config.default not in names:
            names.append(config.default)
        return [PortSpec(name) for name in dict.fromkeys(names)]

    def check(self, config: BranchConfig, base_dir: Path | None) -> list[ConfigProblem]:
        """Each `when` compiles and reads only the input ports, `value` and `inputs`."""
        known = ["value", "inputs", *config.inputs]
        problems: list[ConfigProblem] = []
        for i, case in enumerate(config.cases):
            where = ("cases", i, "when")
            if error := check_expression(case.when):
                problems.append((where, error))
                continue
            for name in sorted(expression_names(case.when) - set(known)):
                problems.append(
                    (
                        where,
                        f"case {case.port!r}: `when` reads {name!r}, which is not an input "
                        f"(known: {', '.join(known)})",
                    )
                )
        return problems

    async def run(
        self, ctx: NodeContext, config: BranchConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        value = inputs[config.inputs[0]] if len(config.inputs) == 1 else dict(inputs)
        variables = {"inputs": inputs, "value": value, **inputs}
        for case in config.cases:
            if evaluate(case.when, variables):
                return NodeResult({case.port: value})
        if config.default:
            return NodeResult({config.default: value})
        raise NodeError(
            "no branch condition matched and no default port is set", error_class="config"
        )
