"""MCP (Model Context Protocol) servers as governed tool sources: per-user registrations
(`registration`), launch checks (`launch`), transports and sessions (`transport`,
`connection`) and the `mcp:SERVER/TOOL` tool source the tool gateway calls (`source`).

The SDK (`mcp`) is imported only when a session opens, not with this package.
"""

from __future__ import annotations

from engine.mcp.registration import McpServer, load_servers, remove_server, save_server
from engine.mcp.source import McpScope, McpToolSource, parse_name

__all__ = [
    "McpScope",
    "McpServer",
    "McpToolSource",
    "load_servers",
    "parse_name",
    "remove_server",
    "save_server",
]
