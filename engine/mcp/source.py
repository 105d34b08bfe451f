"""MCP servers as a tool source: `mcp:SERVER/TOOL` names, known without I/O from the
registrations, turned into governed `Tool` values once the server lists its tools (input
schema, side effect and allow/ask/deny from its annotations and the user's settings).

Annotation defaults: a tool annotated read-only is allowed; any other is `ask` (approval),
as MCP's own defaults assume a tool may be destructive. Annotations are hints from the
server: the user's per-server and per-tool settings win over them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field

from engine.config import ConfigError, config_path
from engine.mcp.registration import McpServer, load_servers
from engine.tools.base import Decision, Scope, SideEffect, Tool, ToolCall
from engine.tools.errors import ToolError, ToolRefused

if TYPE_CHECKING:
    from mcp import types

log = logging.getLogger(__name__)

PREFIX = "mcp:"
_NAME = re.compile(r"^mcp:(?P<server>[a-z][a-z0-9_-]{0,39})/(?P<tool>[A-Za-z0-9_.\-]{1,128}|\*)$")
DESCRIPTION_CHARS = 1000
IDEMPOTENCY_META = "interlock/idempotency_key"


def parse_name(name: str) -> tuple[str, str] | None:
    """(server, tool) of `mcp:SERVER/TOOL` (tool may be `*`), or None."""
    match = _NAME.match(name)
    return (match["server"], match["tool"]) if match else None


class McpScope(Scope):
    """Per-call limits of an MCP tool; a workflow or node may tighten them."""

    timeout_s: float = Field(
        default=30.0, gt=0, le=3600, description="Seconds the server has to answer one call."
    )
    max_result_bytes: int = Field(
        default=1_000_000,
        ge=1000,
        le=50_000_000,
        description="Larger results are truncated (and say so).",
    )

    def narrow(self, requested: McpScope) -> McpScope:
        return McpScope(
            timeout_s=min(self.timeout_s, requested.timeout_s),
            max_result_bytes=min(self.max_result_bytes, requested.max_result_bytes),
        )


@dataclass(frozen=True, slots=True)
class Governance:
    """How Interlock treats one MCP tool."""

    side_effect: SideEffect
    decision: Decision
    why: str


def governance(server: McpServer, tool: types.Tool) -> Governance:
    hints = tool.annotations
    read_only = bool(hints and hints.readOnlyHint)
    open_world = hints is None or hints.openWorldHint is not False
    side: SideEffect = "read" if read_only else ("external" if open_world else "write")
    chosen = server.decision_for(tool.name)
    if chosen is not None:
        return Governance(side, chosen, f"set to {chosen} for this server or tool")
    if read_only:
        return Governance(side, "allow", "annotated read-only")
    if hints is not None and hints.destructiveHint is not False:
        return Governance(side, "ask", "annotated destructive")
    return Governance(side, "ask", "not annotated read-only")


def to_tool(server: McpServer, tool: types.Tool) -> Tool | None:
    """The governed tool, or None when the server's input schema is not a usable schema."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    schema = dict(tool.inputSchema)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        log.warning("MCP tool %s/%s has an invalid input schema: %s", server.name, tool.name, exc)
        return None
    rules = governance(server, tool)
    description = (tool.description or tool.title or tool.name).strip()[:DESCRIPTION_CHARS]
    return Tool(
        name=f"{PREFIX}{server.name}/{tool.name}",
        description=description,
        arguments=schema,
        result={"type": "object"},
        side_effect=rules.side_effect,
        scope=McpScope,
        handler=_handler(server, tool.name),
        idempotent=rules.side_effect != "read",
        decision=rules.decision,
        decision_reason=f"MCP tool {server.name}/{tool.name}: {rules.why}",
    )


def _handler(server: McpServer, tool: str) -> Any:
    async def call(call: ToolCall[McpScope], arguments: dict[str, Any]) -> dict[str, Any]:
        from engine.mcp.connection import sessions

        session = await sessions().get(server, offline=call.offline)
        timeout = min(call.scope.timeout_s, server.timeout_s)
        meta = {IDEMPOTENCY_META: call.idempotency_key} if call.idempotency_key else None
        result = await session.call(tool, arguments, timeout, meta)
        out = result_value(result, call.scope.max_result_bytes)
        if result.isError:
            raise ToolError(
                f"{server.name}/{tool} reported an error: {out['text'][:1000]}", error_class="tool"
            )
        return out

    return call


def result_value(result: types.CallToolResult, max_bytes: int) -> dict[str, Any]:
    """`{text, content, structured, truncated}`: text blocks joined, other blocks described
    (binary data is not kept), cut to `max_bytes` with `truncated: true` and a note."""
    from mcp import types

    blocks: list[dict[str, Any]] = []
    texts: list[str] = []
    for block in result.content:
        if isinstance(block, types.TextContent):
            texts.append(block.text)
            blocks.append({"type": "text", "text": block.text})
        elif isinstance(block, types.ImageContent | types.AudioContent):
            size = len(block.data) * 3 // 4
            blocks.append({"type": block.type, "mime_type": block.mimeType, "bytes": size})
        elif isinstance(block, types.EmbeddedResource):
            resource = block.resource
            item: dict[str, Any] = {"type": "resource", "uri": str(resource.uri)}
            if isinstance(resource, types.TextResourceContents):
                item["text"] = resource.text
                texts.append(resource.text)
            blocks.append(item)
        else:
            blocks.append({"type": block.type, "uri": str(getattr(block, "uri", ""))})
    out: dict[str, Any] = {
        "text": "\n".join(texts),
        "content": blocks,
        "structured": result.structuredContent,
        "truncated": False,
    }
    size = len(json.dumps(out, ensure_ascii=False, default=repr).encode())
    if size <= max_bytes:
        return out
    text = out["text"].encode()[: max_bytes // 2].decode("utf-8", "ignore")
    structured = out["structured"]
    if len(json.dumps(structured, default=repr).encode()) > max_bytes // 4:
        structured = None
    return {
        "text": text,
        "content": [{"type": "text", "text": text}],
        "structured": structured,
        "truncated": True,
        "note": f"the result was {size:,} bytes; cut to fit {max_bytes:,}",
    }


class McpToolSource:
    """The user's registered MCP servers as tools for a `ToolRegistry` (prefix `mcp:`).
    Made `from_config`, it follows the config file (a registration changed in the app
    applies to the next call); connects only when a tool is prepared."""

    prefix = PREFIX

    def __init__(
        self, servers: Mapping[str, McpServer] | None = None, problem: str | None = None
    ) -> None:
        self.servers = dict(servers or {})
        self.problem = problem
        self._tools: dict[str, Tool] = {}
        self._listed: set[str] = set()
        self._stamp: tuple[int, int] | None = None
        """The config file's (mtime, size) when read; None: servers given, never re-read."""

    @classmethod
    def from_config(cls) -> McpToolSource:
        source = cls()
        source._stamp = (-1, -1)
        source._follow_config()
        return source

    def _follow_config(self) -> None:
        """Re-read the registrations when the config file changed (a server added, removed
        or set to allow/ask/deny in the app or by `interlock mcp`): from the next call on,
        a changed server's tools are listed and governed again."""
        if self._stamp is None:
            return
        try:
            info = config_path().stat()
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = (0, 0)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            servers, self.problem = load_servers(), None
        except ConfigError as exc:
            servers, self.problem = {}, str(exc)
        for name in list(self._listed):
            old, new = self.servers.get(name), servers.get(name)
            if new is None or old is None or new.fingerprint() != old.fingerprint():
                self._listed.discard(name)
                prefix = f"{PREFIX}{name}/"
                self._tools = {k: t for k, t in self._tools.items() if not k.startswith(prefix)}
        self.servers = servers

    def knows(self, name: str) -> bool:
        self._follow_config()
        parsed = parse_name(name)
        return parsed is not None and parsed[0] in self.servers

    def get(self, name: str) -> Tool | None:
        self._follow_config()
        return self._tools.get(name)

    def loaded(self) -> list[Tool]:
        return list(self._tools.values())

    async def load(self, name: str, *, offline: bool) -> None:
        """List the server's tools (starting it if needed) unless that was done already;
        refuse names the server does not have."""
        self._follow_config()
        parsed = parse_name(name)
        if parsed is None:
            raise ToolRefused(f"{name!r} is not an MCP tool name (mcp:SERVER/TOOL)")
        server_name, tool = parsed
        server = self.servers.get(server_name)
        if server is None:
            raise ToolRefused(
                self.problem
                or f"no MCP server {server_name!r} is registered (see `interlock mcp add`)"
            )
        if server_name not in self._listed:
            from engine.mcp.connection import sessions

            session = await sessions().get(server, offline=offline)
            assert session.listing is not None
            for listed in session.listing.tools:
                made = to_tool(server, listed)
                if made is not None:
                    self._tools[made.name] = made
            self._listed.add(server_name)
        if tool != "*" and name not in self._tools:
            known = sorted(
                n.split("/", 1)[1] for n in self._tools if n.startswith(f"mcp:{server_name}/")
            )
            raise ToolRefused(
                f"MCP server {server_name!r} has no tool {tool!r} (it lists: {', '.join(known)})"
            )
