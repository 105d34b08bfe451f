"""A small MCP server for the tests (run as its own process, never imported by them): over
stdio by default or streamable HTTP with `--http PORT` (requiring `Authorization: Bearer
TOKEN` when `--token TOKEN` is given). Its tools echo, report an environment variable,
hang, crash, answer with many megabytes, and one (`wipe`) carries no annotations."""

from __future__ import annotations

import argparse
import os
from typing import Any

import anyio
from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

READ_ONLY = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
app = FastMCP("fake")


@app.tool(annotations=READ_ONLY)
def echo(text: str) -> str:
    """Return the text."""
    return text


@app.tool(annotations=READ_ONLY)
def env(name: str) -> str:
    """The value of an environment variable of this process, or <unset>."""
    return os.environ.get(name, "<unset>")


@app.tool(annotations=READ_ONLY)
async def hang() -> str:
    """Never answers."""
    await anyio.sleep(3600)
    return "late"


@app.tool(annotations=READ_ONLY)
def crash() -> str:
    """Exits the process in the middle of the call."""
    os._exit(3)


@app.tool(annotations=READ_ONLY, structured_output=False)
def big(megabytes: float) -> str:
    """An answer of this many megabytes."""
    return "x" * int(megabytes * 1_000_000)


@app.tool()
def wipe(target: str) -> str:
    """Pretends to delete the target."""
    return f"wiped {target}"


def _require_token(asgi: Any, token: str) -> Any:
    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization") != f"Bearer {token}".encode():
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"no"})
                return
        await asgi(scope, receive, send)

    return guarded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int)
    parser.add_argument("--token")
    args = parser.parse_args()
    if args.http is None:
        app.run("stdio")
        return
    import uvicorn

    asgi = app.streamable_http_app()
    if args.token:
        asgi = _require_token(asgi, args.token)
    uvicorn.run(asgi, host="127.0.0.1", port=args.http, log_level="warning")


if __name__ == "__main__":
    main()
