"""The tools a runtime knows, passed in (never global): fixed tools (the built-in set) and
tool sources whose tools are known by name first and loaded on first use (MCP servers,
`mcp:SERVER/TOOL`). A grant or allow-list entry `mcp:SERVER/*` covers a server's tools."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from engine.tools.base import Tool


class ToolSource(Protocol):
    """Tools named `<prefix>…` that exist outside the engine. `knows` answers without I/O;
    `load` may connect (and raises a ToolError when it cannot)."""

    prefix: str

    def knows(self, name: str) -> bool: ...

    def get(self, name: str) -> Tool | None: ...

    def loaded(self) -> list[Tool]: ...

    async def load(self, name: str, *, offline: bool) -> None: ...


def granted(name: str, grants: Iterable[str]) -> bool:
    """Whether `name` is in `grants`, exactly or under a source's `PREFIX…/*` entry."""
    for grant in grants:
        if grant == name:
            return True
        wildcard = grant.endswith("/*") and ":" in grant
        if wildcard and name.startswith(grant[:-1]) and "/" not in name[len(grant) - 1 :]:
            return True
    return False


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = (), sources: Iterable[ToolSource] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._sources = list(sources)
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} registered twice")
        self._tools[tool.name] = tool

    def add_source(self, source: ToolSource) -> None:
        self._sources.append(source)

    def source_for(self, name: str) -> ToolSource | None:
        return next((s for s in self._sources if name.startswith(s.prefix)), None)

    def get(self, name: str) -> Tool | None:
        """A fixed tool, or a source's tool once loaded (see `prepare`)."""
        tool = self._tools.get(name)
        if tool is None and (source := self.source_for(name)) is not None:
            return source.get(name)
        return tool

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        source = self.source_for(name)
        return name in self._tools or (source is not None and source.knows(name))

    async def prepare(self, names: Iterable[str], *, offline: bool) -> None:
        """Load the source tools among `names` (names or `…/*`) that are not loaded yet."""
        for name in names:
            source = self.source_for(name)
            if source is not None and (name.endswith("/*") or source.get(name) is None):
                await source.load(name, offline=offline)

    def expand(self, names: Iterable[str]) -> list[Tool]:
        """The loaded tools `names` stand for, in order, each once."""
        found: dict[str, Tool] = {}
        for name in names:
            if name.endswith("/*") and (source := self.source_for(name)) is not None:
                found.update((t.name, t) for t in source.loaded() if granted(t.name, [name]))
            elif (tool := self.get(name)) is not None:
                found[tool.name] = tool
        return list(found.values())

    def names(self) -> list[str]:
        loaded = [t.name for s in self._sources for t in s.loaded()]
        return sorted([*self._tools, *loaded])

    def tools(self) -> list[Tool]:
        return [tool for name in self.names() if (tool := self.get(name)) is not None]
