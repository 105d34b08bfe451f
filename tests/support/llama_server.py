"""A real OpenAI-compatible server, llama-cpp-python's own `llama_cpp.server` on the bundled
SmolLM2, on 127.0.0.1 (optionally asking for an API key), for tests of remote endpoints."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def llama_server_in(folder: Path, api_key: str | None = None) -> Iterator[str]:
    """Start the server (its log in `folder`) and yield its /v1 URL; stop it after."""
    from local_models.bundled import smollm2_path

    port = free_port()
    log = folder / "server.log"
    key = ["--api_key", api_key] if api_key else []
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()),
             "--port", str(port), "--host", "127.0.0.1", "--n_ctx", "2048",
             # Its default cuts a stream short when another request arrives (docs/endpoints.md).
             "--interrupt_requests", "False", *key],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(url + "/models", headers=headers, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not come up within 180 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
