"""The two ways to reach an MCP server, as the SDK's (read, write) stream pairs.

stdio: our own launcher rather than the SDK's, so the process gets exactly the registered
environment (the SDK adds PATH, HOME and more), a message larger than the cap stops the
server instead of filling memory, and stderr is kept (its tail) for error messages.
streamable HTTP: the SDK's client over an httpx client of ours that connects only to the
address the SSRF guard checked (as `http_request` does) and caps each response.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from anyio.abc import Process
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp import types
from mcp.shared.message import SessionMessage

from engine.mcp.launch import Launch
from engine.tools.errors import ToolRefused
from engine.tools.netguard import IPAddress, Target

log = logging.getLogger(__name__)

ReadStream = MemoryObjectReceiveStream[SessionMessage | Exception]
WriteStream = MemoryObjectSendStream[SessionMessage]
STDERR_TAIL = 2000
_CLOSE_WAIT_S = 1.0


@dataclass(slots=True)
class TransportState:
    """What the transport saw: why it failed (cap exceeded, process exited) and the last
    lines the server wrote to stderr."""

    failure: str | None = None
    exit_code: int | None = None
    stderr: bytearray = field(default_factory=bytearray)

    def stderr_tail(self) -> str:
        return self.stderr.decode("utf-8", "replace").strip()[-500:]

    def keep_stderr(self, chunk: bytes) -> None:
        self.stderr += chunk
        del self.stderr[:-STDERR_TAIL]


@contextlib.asynccontextmanager
async def stdio_streams(
    launch: Launch, max_message_bytes: int, state: TransportState
) -> AsyncIterator[tuple[ReadStream, WriteStream]]:
    """Start the process (argument list, no shell, own session) and frame JSON-RPC lines."""
    try:
        process = await anyio.open_process(
            [launch.command, *launch.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=launch.env,
            cwd=launch.cwd,
            start_new_session=True,
        )
    except OSError as exc:
        raise ToolRefused(f"cannot start {launch.command}: {exc.strerror or exc}") from None
    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)

    async def read_stdout() -> None:
        assert process.stdout is not None
        buffer = bytearray()
        try:
            async with read_writer:
                async for chunk in process.stdout:
                    buffer += chunk
                    while (end := buffer.find(b"\n")) >= 0:
                        line = bytes(buffer[:end])
                        del buffer[: end + 1]
                        if line.strip():
                            await read_writer.send(_message(line))
                    if len(buffer) > max_message_bytes:
                        state.failure = (
                            f"the server sent a message over the {max_message_bytes:,}-byte cap"
                        )
                        _kill(process)
                        return
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass
        finally:
            state.exit_code = process.returncode

    async def write_stdin() -> None:
        assert process.stdin is not None
        try:
            async with write_reader:
                async for message in write_reader:
                    text = message.message.model_dump_json(by_alias=True, exclude_none=True)
                    await process.stdin.send(text.encode() + b"\n")
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass

    async def read_stderr() -> None:
        assert process.stderr is not None
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
            async for chunk in process.stderr:
                state.keep_stderr(chunk)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read_stdout)
        tasks.start_soon(write_stdin)
        tasks.start_soon(read_stderr)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                await _stop(process)
                state.exit_code = process.returncode
            tasks.cancel_scope.cancel()
            for stream in (read_stream, write_stream):
                await stream.aclose()


def _message(line: bytes) -> SessionMessage | Exception:
    try:
        return SessionMessage(types.JSONRPCMessage.model_validate_json(line))
    except ValueError as exc:
        log.debug("not a JSON-RPC message from the server: %s", exc)
        return exc


def _kill(process: Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def _stop(process: Process) -> None:
    """Close stdin and give the server a moment (the MCP shutdown), then end its whole
    process group: SIGTERM, and SIGKILL if it still runs."""
    if process.returncode is not None:
        return
    if process.stdin is not None:
        with contextlib.suppress(Exception):
            await process.stdin.aclose()
    with anyio.move_on_after(_CLOSE_WAIT_S):
        await process.wait()
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        with anyio.move_on_after(_CLOSE_WAIT_S):
            await process.wait()
    if process.returncode is None:
        _kill(process)
        with anyio.move_on_after(_CLOSE_WAIT_S):
            await process.wait()


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends every request to the one checked address (the URL keeps its host for the Host
    header and TLS), refuses any other origin, and caps each response body."""

    def __init__(self, target: Target, address: IPAddress, max_bytes: int) -> None:
        self.target = target
        self.address = address
        self.max_bytes = max_bytes
        self.inner = httpx.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        origin = (url.scheme, url.host.lower().rstrip("."), port)
        if origin != (self.target.scheme, self.target.host, self.target.port):
            raise httpx.ConnectError(f"refused: {url.host} is not the registered MCP server")
        request.url = url.copy_with(host=str(self.address))
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": self.target.host}
        response = await self.inner.handle_async_request(request)
        response.stream = _CappedStream(response.stream, self.max_bytes)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _CappedStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any, max_bytes: int) -> None:
        self.stream = stream
        self.max_bytes = max_bytes

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self.stream:
            seen += len(chunk)
            if seen > self.max_bytes:
                raise httpx.ReadError(f"response over the {self.max_bytes:,}-byte cap")
            yield chunk

    async def aclose(self) -> None:
        await self.stream.aclose()


@contextlib.asynccontextmanager
async def http_streams(
    url: str,
    target: Target,
    address: IPAddress,
    headers: dict[str, str],
    timeout_s: float,
    max_message_bytes: int,
) -> AsyncIterator[tuple[ReadStream, WriteStream]]:
    from mcp.client.streamable_http import streamable_http_client

    transport = PinnedTransport(target, address, max_message_bytes)
    client = httpx.AsyncClient(
        transport=transport,
        headers=headers,
        timeout=httpx.Timeout(timeout_s, read=max(timeout_s, 300.0)),
        follow_redirects=False,
        trust_env=False,
    )
    async with client, streamable_http_client(url, http_client=client) as (read, write, _):
        yield read, write
