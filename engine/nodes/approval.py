"""The approval node kind: shows a person a summary and the proposed value, and passes it
on when approved (or the edited value), routes or fails when rejected."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from engine.approvals.model import ApprovalRequest, canonical
from engine.errors import NodeError
from engine.nodes.base import KindConfig, NodeContext, NodeKind, NodeResult, PortSpec
from engine.nodes.basic import _port_names
from engine.sandbox import check_template, render


class ApprovalConfig(KindConfig):
    title: str | None = Field(
        default=None,
        description="Template: dialog title, as older files set it; the node's Title is used "
        "when this is not set (the app edits only the Title).",
    )
    summary: str = Field(
        default="Approve {{ proposed }}?", description="Template over the inputs and `proposed`."
    )
    inputs: list[str] = Field(default_factory=lambda: ["in"], min_length=1)
    proposed: str | None = Field(
        default=None, description="Input port holding the value to approve; default the first."
    )
    output_schema: dict[str, Any] | None = Field(
        default=None, description="JSON Schema an edited value must satisfy."
    )
    allow_edit: bool = True
    comment_required: bool = False
    deadline_s: float | None = Field(default=None, gt=0, description="Seconds to decide.")
    default_decision: Literal["approve", "reject", "fail"] | None = Field(
        default=None, description="Applied when the deadline passes (default reject)."
    )
    approver: str | None = Field(default=None, description="Required approver name or role.")

    _check_inputs = field_validator("inputs")(_port_names)

    @model_validator(mode="after")
    def _proposed_is_an_input(self) -> ApprovalConfig:
        if self.proposed is not None and self.proposed not in self.inputs:
            raise ValueError(f"proposed port {self.proposed!r} is not one of the inputs")
        return self


DEFAULT_TITLE = "Approval needed"


def dialog_title(config: ApprovalConfig, node_title: str) -> str:
    """The one title of an approval: the config's (as older files spell it, a template),
    else the node's Title (as written), else a default."""
    return config.title or node_title or DEFAULT_TITLE


class ApprovalKind(NodeKind[ApprovalConfig]):
    name = "approval"
    description = "Wait for a person to approve, edit or reject a value"
    icon = "approval"
    config_model = ApprovalConfig
    cacheable = False

    def input_ports(self, config: ApprovalConfig) -> list[PortSpec]:
        return [PortSpec(name) for name in config.inputs]

    def output_ports(self, config: ApprovalConfig) -> list[PortSpec]:
        return [
            PortSpec("approved", description="The approved (or edited) value."),
            PortSpec("rejected", "object", "The decision, when rejected and routed."),
        ]

    def check(self, config: ApprovalConfig, base_dir: Path | None) -> list[str]:
        texts = (config.title or "", config.summary)
        return [p for t in texts if (p := check_template(t))]

    async def run(
        self, ctx: NodeContext, config: ApprovalConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        proposed = inputs.get(config.proposed or config.inputs[0])
        variables = {"inputs": inputs, "proposed": proposed, **inputs}
        now = time.time()
        request = ApprovalRequest(
            run_id=ctx.run_id,
            node_id=ctx.node_id,
            kind="node",
            title=render(config.title, variables)
            if config.title
            else dialog_title(config, ctx.node_title),
            summary=render(config.summary, variables),
            inputs=inputs,
            proposed=proposed,
            schema=config.output_schema,
            deadline_ts=now + config.deadline_s if config.deadline_s else None,
            default_decision=config.default_decision,
            approver=config.approver,
            comment_required=config.comment_required,
            allow_edit=config.allow_edit,
            key=hashlib.sha256(canonical(proposed).encode()).hexdigest()[:16],
            created_at=now,
        )
        decision = await ctx.request_approval(request)
        if decision.approved:
            value = decision.edited_value if decision.decision == "edit" else proposed
            return NodeResult({"approved": value})
        detail = {
            "decider": decision.decider,
            "comment": decision.comment,
            "proposed": proposed,
            "by_deadline": decision.by_deadline,
        }
        reason = f": {decision.comment}" if decision.comment else ""
        raise NodeError(
            f"rejected by {decision.decider}{reason}",
            error_class="rejected",
            route=("rejected", detail),
        )
