"""Live sessions with MCP servers. Each session is owned by one dedicated task that opens
the transport and the SDK's `ClientSession` and closes them again, so the SDK's anyio
cancel scopes never cross tasks; callers in any task send requests through it. A session
that fails (timeout, crash, oversized message) is closed and a new one starts on next use.

Sessions are kept per event loop (`sessions()`), like an HTTP connection pool: a run's
nodes share one process per server; when the loop ends (`asyncio.run` cancels its tasks)
or a session has been idle for `IDLE_S`, the owner task stops the server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
from mcp import ClientSession, types
from mcp.shared.exceptions import McpError

from engine.mcp.launch import launch_for
from engine.mcp.registration import McpServer, secret_name
from engine.mcp.transport import ReadStream, TransportState, WriteStream, http_streams
from engine.mcp.transport import stdio_streams as _stdio_streams
from engine.tools.errors import ToolError, ToolRefused
from engine.tools.netguard import parse_url, pin

log = logging.getLogger(__name__)

IDLE_S = 300.0
_TIMED_OUT = 408
"""The code the SDK gives a request whose read timeout passed (HTTP 408)."""
Opener = Callable[[], AbstractAsyncContextManager[tuple[ReadStream, WriteStream]]]


@dataclass(frozen=True, slots=True)
class Listing:
    """What a server said about itself when the session opened."""

    server_name: str
    server_version: str
    tools: tuple[types.Tool, ...]


class Session:
    """One open session with one server (see the module docstring)."""

    def __init__(self, server: McpServer, opener: Opener, state: TransportState) -> None:
        self.server = server
        self.state = state
        self._opener = opener
        self._session: ClientSession | None = None
        self._stop = asyncio.Event()
        self._ready: asyncio.Future[Listing] = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task[None] | None = None
        self.listing: Listing | None = None
        self.last_used = time.monotonic()
        self.active = 0

    @property
    def usable(self) -> bool:
        return (
            self._session is not None
            and self._task is not None
            and not self._task.done()
            and not self._stop.is_set()
            and self.state.failure is None
        )

    async def open(self, timeout_s: float) -> Listing:
        self._task = asyncio.get_running_loop().create_task(
            self._own(), name=f"mcp-server-{self.server.name}"
        )
        try:
            async with asyncio.timeout(timeout_s):
                return await asyncio.shield(self._ready)
        except TimeoutError:
            await self.close()
            raise ToolError(
                f"MCP server {self.server.name!r} did not start within {timeout_s:g}s"
                + self._stderr(),
                error_class="timeout",
            ) from None
        except ToolError:
            await self.close()
            raise
        except Exception as exc:
            await self.close()
            raise ToolError(
                f"MCP server {self.server.name!r} failed to start: {_describe(exc)}"
                + self._stderr(),
                error_class="tool",
            ) from None

    async def _own(self) -> None:
        try:
            async with self._opener() as (read, write), ClientSession(read, write) as session:
                init = await session.initialize()
                tools: list[types.Tool] = []
                cursor: str | None = None
                while True:
                    page = await session.list_tools(
                        params=types.PaginatedRequestParams(cursor=cursor) if cursor else None
                    )
                    tools += page.tools
                    cursor = page.nextCursor
                    if not cursor:
                        break
                self.listing = Listing(init.serverInfo.name, init.serverInfo.version, tuple(tools))
                self._session = session
                self._ready.set_result(self.listing)
                await self._wait_until_idle()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(
                    exc if isinstance(exc, Exception) else ToolError("start-up was cancelled")
                )
            if not isinstance(exc, Exception):
                raise
            log.info("MCP server %s session ended: %s", self.server.name, _describe(exc))
        finally:
            self._session = None
            self._stop.set()

    async def _wait_until_idle(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_S):
                    await self._stop.wait()
                    return
            if self.active == 0 and time.monotonic() - self.last_used >= IDLE_S:
                log.info("MCP server %s idle for %ss: stopping it", self.server.name, IDLE_S)
                return

    async def call(
        self, tool: str, arguments: dict[str, Any], timeout_s: float, meta: dict[str, Any] | None
    ) -> types.CallToolResult:
        session = self._session
        if session is None or not self.usable:
            raise ToolError(f"MCP server {self.server.name!r} is not connected", error_class="tool")
        self.active += 1
        self.last_used = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s + 1.0):
                return await session.call_tool(
                    tool, arguments, read_timeout_seconds=timedelta(seconds=timeout_s), meta=meta
                )
        except (TimeoutError, McpError) as exc:
            timed_out = isinstance(exc, TimeoutError) or (
                isinstance(exc, McpError) and exc.error.code == _TIMED_OUT
            )
            broken = timed_out or (
                isinstance(exc, McpError) and exc.error.code == types.CONNECTION_CLOSED
            )
            if not broken:
                raise ToolError(
                    f"{self.server.name}/{tool}: the server answered with an error: "
                    f"{exc.error.message if isinstance(exc, McpError) else exc}",
                    error_class="tool",
                ) from None
            await self.close()
            if timed_out:
                raise ToolError(
                    f"{self.server.name}/{tool}: no answer within {timeout_s:g}s; the server "
                    "was stopped and starts again on next use",
                    error_class="timeout",
                ) from None
            raise ToolError(self._lost(tool), error_class="tool") from None
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
            await self.close()
            raise ToolError(f"{self._lost(tool)} ({_describe(exc)})", error_class="tool") from None
        finally:
            self.active -= 1
            self.last_used = time.monotonic()

    def _lost(self, tool: str) -> str:
        why = self.state.failure or (
            f"it exited with status {self.state.exit_code}"
            if self.state.exit_code is not None
            else "the connection closed"
        )
        return (
            f"{self.server.name}/{tool}: the server failed during the call ({why}); it starts "
            f"again on next use{self._stderr()}"
        )

    def _stderr(self) -> str:
        tail = self.state.stderr_tail()
        return f"; its stderr ends: {tail}" if tail else ""

    async def close(self) -> None:
        self._stop.set()
        task = self._task
        if task is not None and not task.done() and task is not asyncio.current_task():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout=10.0)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, McpError):
        return exc.error.message
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return str(exc) or type(exc).__name__


def stdio_opener(server: McpServer, state: TransportState) -> Opener:
    """Verify the registration (checksum, arguments) and fetch its secrets, then start it."""
    from engine.providers.remote.secrets import get_key

    secrets = {v: get_key(secret_name(server.name, v)) for v in server.secret_env}
    launch = launch_for(server, secrets)
    return lambda: _stdio_streams(launch, server.max_message_bytes, state)


async def http_opener(server: McpServer) -> Opener:
    """Check the URL and pin its address (SSRF guard), and read the auth header."""
    from engine.providers.remote.secrets import get_key

    target = parse_url(server.url)
    address = await pin(target, frozenset(h.lower() for h in server.private_hosts))
    headers: dict[str, str] = {}
    if server.auth:
        value = get_key(secret_name(server.name))
        if value is None:
            raise ToolRefused(
                f"MCP server {server.name!r}: no auth header value in the keyring "
                f"(user {secret_name(server.name)!r})"
            )
        headers[server.auth_header] = value
    return lambda: http_streams(
        server.url, target, address, headers, server.timeout_s, server.max_message_bytes
    )


class Sessions:
    """The open sessions of one event loop, by server registration."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, server: McpServer, *, offline: bool) -> Session:
        """A usable session, started (or restarted) when there is none."""
        if server.transport == "http" and offline:
            raise ToolRefused(
                f"offline: MCP server {server.name!r} is reached over HTTP (stdio servers "
                "still run)"
            )
        key = f"{server.name}:{server.fingerprint()}"
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            session = self._sessions.get(key)
            if session is not None and session.usable:
                return session
            state = TransportState()
            opener = (
                stdio_opener(server, state)
                if server.transport == "stdio"
                else await http_opener(server)
            )
            session = Session(server, opener, state)
            await session.open(server.timeout_s)
            self._sessions[key] = session
            return session

    async def close(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Sessions] = (
    weakref.WeakKeyDictionary()
)


def sessions() -> Sessions:
    """The running loop's sessions."""
    loop = asyncio.get_running_loop()
    found = _BY_LOOP.get(loop)
    if found is None:
        found = _BY_LOOP[loop] = Sessions()
    return found
