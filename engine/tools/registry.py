"""The tools a runtime knows, passed in (never global), and the built-in set."""

from __future__ import annotations

from collections.abc import Iterable

from engine.tools.base import Tool


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} registered twice")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def names(self) -> list[str]:
        return sorted(self._tools)

    def tools(self) -> list[Tool]:
        return [self._tools[name] for name in self.names()]


def builtin_tools() -> ToolRegistry:
    """A fresh registry with every built-in tool."""
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
        ]
    )
