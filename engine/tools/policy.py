"""Tool governance values: approval rules (by side-effect class, tool and argument
patterns) parsed from `policy.approval_rules`, and idempotency keys for write/external calls."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import posixpath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.tools.base import SideEffect, Tool
from engine.tools.errors import ToolInvalid
from engine.tools.registry import ToolRegistry
from engine.workflow.model import WorkflowPolicy


class ApprovalRule(BaseModel):
    """A call needs a person's approval when every condition given here holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, description="Shown to the approver.")
    side_effects: list[SideEffect] | None = Field(
        default=None, description="Matches calls of these side-effect classes."
    )
    tools: list[str] | None = Field(default=None, description="Tool names (glob patterns).")
    arguments: dict[str, str] = Field(
        default_factory=dict,
        description="Argument -> glob its value must match (e.g. method: POST).",
    )
    arguments_not: dict[str, str] = Field(
        default_factory=dict,
        description="Argument -> glob its value must NOT match (path: 'drafts/*' gates "
        "writes outside drafts/); a missing argument counts as not matching.",
    )
    approver: str | None = Field(default=None, description="Required approver name or role.")

    def matches(self, tool: Tool, arguments: dict[str, Any]) -> bool:
        if self.side_effects is not None and tool.side_effect not in self.side_effects:
            return False
        if self.tools is not None and not any(
            fnmatch.fnmatchcase(tool.name, p) for p in self.tools
        ):
            return False
        for name, pattern in self.arguments.items():
            value = _argument(arguments, name)
            if value is None or not fnmatch.fnmatchcase(value, pattern):
                return False
        for name, pattern in self.arguments_not.items():
            value = _argument(arguments, name)
            if value is not None and fnmatch.fnmatchcase(value, pattern):
                return False
        return True


def _argument(arguments: dict[str, Any], dotted: str) -> str | None:
    """The argument at a dotted path, as text (paths normalised so ./a//b matches a/b)."""
    value: Any = arguments
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if dotted.rsplit(".", 1)[-1] == "path" and text:
        text = posixpath.normpath(text)
    return text


def parse_rules(rules: list[dict[str, Any]]) -> list[ApprovalRule]:
    """Typed rules; a malformed one is a config error (fail closed, never ignored)."""
    parsed = []
    for i, rule in enumerate(rules):
        try:
            parsed.append(ApprovalRule.model_validate(rule))
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            where = ".".join(map(str, err["loc"])) or "rule"
            raise ToolInvalid(
                f"policy.approval_rules[{i}].{where}: {err['msg']}", error_class="config"
            ) from None
    return parsed


def check_rules(rules: list[dict[str, Any]]) -> list[str]:
    """Messages for `validate`: one per malformed rule."""
    problems = []
    for i, rule in enumerate(rules):
        try:
            parse_rules([rule])
        except ToolInvalid as exc:
            problems.append(str(exc).replace("[0]", f"[{i}]", 1))
    return problems


def check_policy(policy: WorkflowPolicy, tools: ToolRegistry) -> list[str]:
    """Messages for `validate`: unknown granted tools, scopes that do not parse, bad rules."""
    problems = [
        f"policy.allowed_tools: unknown tool {name!r}"
        + (" (no such MCP server is registered: `interlock mcp add`)" if ":" in name else "")
        for name in policy.allowed_tools or ()
        if name not in tools
    ]
    for name, scope in policy.tool_scopes.items():
        tool = tools.get(name)
        if tool is None:
            if name not in tools:  # a source's tool (MCP) is checked when it is loaded
                problems.append(f"policy.tool_scopes: unknown tool {name!r}")
            continue
        try:
            tool.parse_scope(scope)
        except ToolInvalid as exc:
            problems.append(f"policy.tool_scopes.{name}: {exc}")
    return problems + check_rules(policy.approval_rules)


def idempotency_key(run_id: str, node_id: str, tool: str, arguments: Any, index: int) -> str:
    """Stable across retries and resumes of the same call: run, node, tool, arguments and
    the call's position within the node (never the attempt number)."""
    blob = json.dumps([run_id, node_id, tool, arguments, index], sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]
