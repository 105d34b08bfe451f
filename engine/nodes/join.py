"""The join node kind: waits for its inputs per a mode (all, any/first, quorum N) and
aggregates what arrived (list in port order, object by port, or concatenation)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from engine.nodes.base import JoinRule, KindConfig, NodeContext, NodeKind, NodeResult, PortSpec
from engine.nodes.basic import _port_names


class JoinConfig(KindConfig):
    inputs: list[str] = Field(
        default_factory=lambda: ["a", "b"], min_length=1, description="Input port names."
    )
    mode: Literal["all", "any", "first", "quorum"] = Field(
        default="all",
        description="all: every input; any/first: the first to arrive; quorum: N of them. "
        "Skipped inputs never arrive: `all` is skipped if one is.",
    )
    quorum: int = Field(default=1, ge=1, description="Inputs needed in quorum mode.")
    timeout_s: float | None = Field(
        default=None, gt=0, description="Fail if not satisfied this long after the first input."
    )
    aggregate: Literal["list", "object", "concat"] = "list"
    separator: str = Field(default="\n", description="Between strings when concatenating.")

    _check_inputs = field_validator("inputs")(_port_names)

    @model_validator(mode="after")
    def _quorum_fits(self) -> JoinConfig:
        if self.mode == "quorum" and self.quorum > len(self.inputs):
            raise ValueError(f"quorum {self.quorum} exceeds the {len(self.inputs)} inputs")
        return self


class JoinKind(NodeKind[JoinConfig]):
    name = "join"
    description = "Wait for several inputs and combine them"
    icon = "join"
    config_model = JoinConfig

    def input_ports(self, config: JoinConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: JoinConfig) -> list[PortSpec]:
        return [PortSpec("value")]

    def join_rule(self, config: JoinConfig) -> JoinRule:
        if config.mode == "all":
            return JoinRule("all", len(config.inputs), config.timeout_s)
        if config.mode == "quorum":
            return JoinRule("quorum", config.quorum, config.timeout_s)
        return JoinRule("any", 1, config.timeout_s)

    async def run(self, ctx: NodeContext, config: JoinConfig, inputs: dict[str, Any]) -> NodeResult:
        present = [(name, inputs[name]) for name in config.inputs if name in inputs]
        if config.mode in ("any", "first"):
            # The runtime passes inputs in arrival order; the first is the winner.
            first = next(iter(inputs.items()))
            present = [first]
        if config.aggregate == "object":
            return NodeResult({"value": dict(present)})
        values = [value for _, value in present]
        if config.aggregate == "concat":
            if all(isinstance(v, list) for v in values):
                return NodeResult({"value": [item for v in values for item in v]})
            text = config.separator.join("" if v is None else str(v) for v in values)
            return NodeResult({"value": text})
        if config.mode in ("any", "first"):
            return NodeResult({"value": values[0]})
        return NodeResult({"value": values})
