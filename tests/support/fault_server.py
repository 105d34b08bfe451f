"""A fault-injection OpenAI-compatible server on 127.0.0.1 (real sockets, asyncio in a
thread): answers each request with the next scripted behaviour and records every request.

Behaviours: ok, ok_json:<text>, 429:<retry-after>, 503[:<retry-after>], 401_echo, reset,
slow_headers:<s>, cut_no_done, cut_with_done, malformed, hang.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultServer:
    script: list[str] = field(default_factory=list)
    default: str = "ok"
    reply: str = "hello from the fault server"
    requests: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def bodies(self) -> list[str]:
        return [r["raw"] for r in self.requests]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
            }
            raw = await reader.readexactly(int(headers.get("content-length", "0")))
            text = raw.decode("utf-8", "replace")
            body: Any = json.loads(text) if text else None
            self.requests.append(
                {"method": method, "path": path, "headers": headers, "body": body, "raw": text}
            )
            models = path.endswith("/models")
            behaviour = "ok" if models else (self.script.pop(0) if self.script else self.default)
            await self._respond(behaviour, path, body or {}, headers, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    async def _respond(
        self,
        behaviour: str,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str],
        writer: asyncio.StreamWriter,
    ) -> None:
        name, _, arg = behaviour.partition(":")
        if path.endswith("/models"):
            return _send(writer, 200, json.dumps({"data": [{"id": "m"}]}))
        if name == "429":
            return _send(writer, 429, '{"error": "slow down"}', {"Retry-After": arg or "1"})
        if name == "503":
            extra = {"Retry-After": arg} if arg else {}
            return _send(writer, 503, '{"error": "overloaded"}', extra)
        if name == "401_echo":  # a careless server echoing the credentials it got
            return _send(
                writer, 401, json.dumps({"error": f"bad key: {headers.get('authorization')}"})
            )
        if name == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return None
        if name == "slow_headers":
            await asyncio.sleep(float(arg or 5))
        if name == "hang":
            await asyncio.sleep(3600)
        reply = arg if name == "ok_json" else self.reply
        chat = path.endswith("/chat/completions")
        if not body.get("stream"):
            return _send(writer, 200, json.dumps(_whole(reply, chat)))
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
        )
        words = reply.split(" ")
        cut = {"cut_no_done", "cut_with_done", "malformed"}
        for i, word in enumerate(words[:2] if name in cut else words):
            piece = word if i == 0 else " " + word
            writer.write(_sse(_chunk(piece, None, chat)))
            await writer.drain()
        if name == "malformed":
            writer.write(b'data: {"choices": [{"delta": \n\n')
        elif name == "cut_with_done":
            writer.write(b"data: [DONE]\n\n")
        elif name != "cut_no_done":
            writer.write(_sse(_chunk("", "stop", chat)) + b"data: [DONE]\n\n")
        await writer.drain()
        return None


def _chunk(piece: str, finish: str | None, chat: bool) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
    if chat:
        choice["delta"] = {"content": piece} if piece else {}
        choice["logprobs"] = {"content": [{"token": piece, "logprob": -0.1}]} if piece else None
    else:
        choice["text"] = piece
    return {"object": "chunk", "choices": [choice]}


def _whole(reply: str, chat: bool) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
    if chat:
        choice["message"] = {"role": "assistant", "content": reply}
    else:
        choice["text"] = reply
    usage = {"prompt_tokens": 11, "completion_tokens": len(reply.split()), "total_tokens": 0}
    return {"choices": [choice], "usage": usage}


def _sse(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def _send(
    writer: asyncio.StreamWriter, status: int, text: str, extra: dict[str, str] | None = None
) -> None:
    payload = text.encode()
    head = [
        f"HTTP/1.1 {status} X",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        "Connection: close",
    ]
    head += [f"{k}: {v}" for k, v in (extra or {}).items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)


@contextmanager
def fault_server(*script: str, default: str = "ok") -> Iterator[FaultServer]:
    """Start a server on a free 127.0.0.1 port; stop it (and its loop) at exit."""
    server = FaultServer(list(script), default)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: list[asyncio.base_events.Server] = []

    async def start() -> None:
        srv = await asyncio.start_server(server._handle, "127.0.0.1", 0)
        server.port = srv.sockets[0].getsockname()[1]
        holder.append(srv)
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    ready.wait(10)
    try:
        yield server
    finally:

        async def stop() -> None:
            holder[0].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
