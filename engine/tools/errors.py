"""Tool errors, all `NodeError`s so a failing call fails (or retries) its node:

ToolError        the tool ran and failed (connection refused, missing file); error_class
│                says how: tool, transient, timeout, http (a status the call did not accept)
├── ToolRefused  policy, grant or scope said no: the resource was never touched
└── ToolInvalid  arguments or result do not match the tool's JSON Schema
"""

from __future__ import annotations

from engine.errors import NodeError


class ToolError(NodeError):
    error_class = "tool"


class ToolRefused(ToolError):
    error_class = "policy"


class ToolInvalid(ToolError):
    error_class = "validation"
