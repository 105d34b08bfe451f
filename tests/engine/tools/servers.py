"""Real HTTP listeners for the tool tests: a canary bound to every local address (IPv4 and
IPv6, so any loopback or local spelling would reach it) that counts connections and
requests, a redirector that answers /r?to=URL[&code=N] with a redirect, and a scripted
server on 127.0.0.1 that gives set replies in order (status, headers, body)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _DualStackServer(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def get_request(self) -> tuple[socket.socket, Any]:
        request = super().get_request()
        self.listener.connections += 1  # type: ignore[attr-defined]
        return request


@dataclass
class Listener:
    port: int = 0
    connections: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.connections = 0
        self.requests.clear()

    @property
    def touched(self) -> bool:
        return self.connections > 0 or bool(self.requests)


def _handler(listener: Listener, redirect: bool, body: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            listener.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": data.decode("utf-8", "replace"),
                }
            )
            query = parse_qs(urlsplit(self.path).query)
            if redirect and self.path.startswith("/r?"):
                target = self.path.split("to=", 1)[1].split("&code=")[0]
                self.send_response(int(query.get("code", ["302"])[0]))
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            payload = b"x" * 300000 if self.path.startswith("/big") else body
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def listener(redirect: bool = False, body: bytes = b"canary") -> Iterator[Listener]:
    state = Listener()
    server = _DualStackServer(("::", 0), _handler(state, redirect, body))
    server.listener = state  # type: ignore[attr-defined]
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


@dataclass
class Script:
    """Replies given in order, the last one repeated; the requests that got them."""

    replies: list[Reply]
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_reply(self) -> Reply:
        return self.replies[min(len(self.requests), len(self.replies)) - 1]


def _scripted_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            script.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers)}
            )
            reply = script.next_reply()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def scripted(*replies: Reply) -> Iterator[Script]:
    state = Script(list(replies) or [Reply()])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _scripted_handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
