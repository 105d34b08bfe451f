"""Tools with scoped governance: typed tool values, the registry, built-ins (HTTP, files,
SQL, knowledge search, workflows), and the governed call path nodes use (`ToolGateway`)."""

from __future__ import annotations

from engine.tools.base import Scope, SideEffect, Tool, ToolCall
from engine.tools.errors import ToolError, ToolInvalid, ToolRefused
from engine.tools.gateway import CallOutcome, ToolGateway
from engine.tools.policy import ApprovalRule, check_policy, idempotency_key
from engine.tools.registry import ToolRegistry

__all__ = [
    "ApprovalRule",
    "CallOutcome",
    "Scope",
    "SideEffect",
    "Tool",
    "ToolCall",
    "ToolError",
    "ToolGateway",
    "ToolInvalid",
    "ToolRefused",
    "ToolRegistry",
    "check_policy",
    "idempotency_key",
]
