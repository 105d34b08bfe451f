"""A careless OpenAI-compatible server on 127.0.0.1 (real sockets, asyncio in a thread)
for canary-key tests: the first path segment picks how it answers, and most answers echo
the credentials it was sent — whole, cut, in fragments, base64 or URL-encoded.

Behaviours: ok, reflect (a model answer holding the key), echo400 (all headers as JSON),
echo500 (the key past a 200-character cut), echo401, echo403, echo404 (base64 and URL
forms), echo422 (a prefix and a suffix), echo429 (long Retry-After), malformed (a non-JSON
body), cut (a stream cut after a chunk holding the key), badsse (a broken chunk holding
the key), slow (no headers for 30 s), reset (the connection is dropped).
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

BEHAVIOURS = (
    "ok",
    "reflect",
    "echo400",
    "echo500",
    "echo401",
    "echo403",
    "echo404",
    "echo422",
    "echo429",
    "malformed",
    "cut",
    "badsse",
    "slow",
    "reset",
)
FAILING = tuple(b for b in BEHAVIOURS if b not in ("ok", "reflect"))


@dataclass
class CanaryServer:
    port: int = 0
    authorizations: list[str] = field(default_factory=list)

    def url(self, behaviour: str) -> str:
        return f"http://127.0.0.1:{self.port}/{behaviour}/v1"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
            }
            length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
            raw = await reader.readexactly(length)
            body: dict[str, Any] = json.loads(raw) if raw else {}
            auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
            self.authorizations.append(auth)
            await _answer(path.split("/")[1], auth, headers, body, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()


async def _answer(
    behaviour: str,
    auth: str,
    headers: dict[str, str],
    body: dict[str, Any],
    writer: asyncio.StreamWriter,
) -> None:
    key = auth.removeprefix("Bearer ")
    b64 = base64.b64encode(key.encode()).decode()
    stream = bool(body.get("stream"))
    if behaviour == "ok":
        return _reply(writer, "all is well", stream)
    if behaviour == "reflect":
        text = f"your key is {key}, base64 {b64}, url {quote(key)}, start {key[:12]}"
        return _reply(writer, text, stream)
    if behaviour == "echo400":
        return _send(writer, 400, json.dumps({"error": "bad request", "headers": headers}))
    if behaviour == "echo500":
        return _send(writer, 500, "x" * 180 + f" Authorization: {auth} (please retry)")
    if behaviour in ("echo401", "echo403"):
        return _send(writer, int(behaviour[4:]), json.dumps({"error": f"bad key: {auth}"}))
    if behaviour == "echo404":
        return _send(writer, 404, json.dumps({"error": f"no route for {b64} / {quote(key)}"}))
    if behaviour == "echo422":
        return _send(writer, 422, f"key starts {key[:10]} and ends {key[-10:]}")
    if behaviour == "echo429":
        return _send(writer, 429, f"slow down, {auth}", {"Retry-After": "100"})
    if behaviour == "malformed":
        return _send(writer, 200, f"not json at all: {auth}")
    if behaviour == "slow":
        await asyncio.sleep(30)
        return None
    if behaviour == "reset":
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return None
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
    if behaviour == "cut":
        writer.write(_sse({"choices": [{"index": 0, "delta": {"content": f"key {key}"}}]}))
    else:  # badsse
        writer.write(f'data: {{"choices": [{{"delta": {{"content": "{key}\n\n'.encode())
    await writer.drain()
    return None


def _reply(writer: asyncio.StreamWriter, text: str, stream: bool) -> None:
    if not stream:
        message = {"role": "assistant", "content": text}
        usage = {"prompt_tokens": 5, "completion_tokens": 9}
        answer = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
        return _send(writer, 200, json.dumps({**answer, "usage": usage}))
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
    for word in text.split(" "):  # the key arrives as one token, as a model would send it
        piece = {"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
        writer.write(_sse({"choices": [piece]}))
    writer.write(_sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    writer.write(b"data: [DONE]\n\n")
    return None


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
        *(f"{k}: {v}" for k, v in (extra or {}).items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)


@contextmanager
def canary_server() -> Iterator[CanaryServer]:
    """Serve on a free 127.0.0.1 port until the block ends."""
    server = CanaryServer()
    loop = asyncio.new_event_loop()
    holder: list[asyncio.base_events.Server] = []

    async def start() -> None:
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        server.port = srv.sockets[0].getsockname()[1]
        holder.append(srv)

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield server
    finally:

        async def stop() -> None:
            holder[0].close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
