"""The `workflow` tool: a workflow file declared in scope, called as a tool (a child run,
governed by its own policy); its outputs are the result."""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field

from engine.errors import WorkflowLoadError
from engine.tools.base import Scope, Tool, ToolCall
from engine.tools.errors import ToolError, ToolRefused
from engine.workflow.loader import load_workflow
from engine.workflow.model import MAX_NESTING


class WorkflowScope(Scope):
    workflows: dict[str, str] = Field(
        default_factory=dict, description="Tool-callable name -> workflow file (relative)."
    )

    def narrow(self, requested: WorkflowScope) -> WorkflowScope:
        return WorkflowScope(
            workflows={
                name: path
                for name, path in requested.workflows.items()
                if os.path.normpath(self.workflows.get(name, "\0")) == os.path.normpath(path)
            }
        )


async def call_workflow(call: ToolCall[WorkflowScope], args: dict[str, Any]) -> dict[str, Any]:
    name = args["workflow"]
    path = call.scope.workflows.get(name)
    if path is None:
        known = ", ".join(sorted(call.scope.workflows)) or "none"
        raise ToolRefused(f"workflow {name!r} is not granted (granted: {known})")
    if call.run_child is None:
        raise ToolError("this context cannot run child workflows", error_class="config")
    if call.depth >= MAX_NESTING:
        raise ToolRefused(f"workflows nest deeper than {MAX_NESTING} levels")
    full = call.base_dir / path
    try:
        child = load_workflow(full).workflow
    except WorkflowLoadError as exc:
        raise ToolError(f"cannot load workflow {name!r}: {exc}", error_class="config") from None
    result = await call.run_child(child, dict(args.get("inputs") or {}), full.parent, name)
    if result.status != "succeeded":
        raise ToolError(f"workflow {name!r} run {result.run_id} {result.status}: {result.error}")
    return {"run_id": result.run_id, "status": result.status, "outputs": result.outputs}


WORKFLOW = Tool(
    name="workflow",
    description="Run a granted workflow with inputs and return its outputs.",
    arguments={
        "type": "object",
        "properties": {
            "workflow": {"type": "string", "minLength": 1},
            "inputs": {"type": "object"},
        },
        "required": ["workflow"],
        "additionalProperties": False,
    },
    result={
        "type": "object",
        "properties": {
            "run_id": {"type": "string"},
            "status": {"type": "string"},
            "outputs": {"type": "object"},
        },
        "required": ["run_id", "status", "outputs"],
    },
    side_effect="write",
    scope=WorkflowScope,
    handler=call_workflow,
    idempotent=True,
)
