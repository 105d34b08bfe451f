"""The tools a tool or agent node gets unless it is given its own registry: every built-in
tool, and the user's registered MCP servers as a tool source."""

from __future__ import annotations

from engine.tools.registry import ToolRegistry


def builtin_tools() -> ToolRegistry:
    """A fresh registry with every built-in tool, and the user's registered MCP servers as
    a tool source (their registrations are read now; nothing starts until a call)."""
    from engine.mcp.source import McpToolSource
    from engine.tools.files import FILE_LIST, FILE_READ, FILE_WRITE
    from engine.tools.http import HTTP_REQUEST
    from engine.tools.knowledge import KNOWLEDGE_SEARCH
    from engine.tools.sql import SQL_EXECUTE, SQL_QUERY
    from engine.tools.workflow_tool import WORKFLOW

    return ToolRegistry(
        [
            HTTP_REQUEST,
            FILE_READ,
            FILE_WRITE,
            FILE_LIST,
            SQL_QUERY,
            SQL_EXECUTE,
            KNOWLEDGE_SEARCH,
            WORKFLOW,
        ],
        sources=[McpToolSource.from_config()],
    )
