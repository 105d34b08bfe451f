"""Streamable-HTTP MCP servers: the test server started on 127.0.0.1, reached only when
its host:port is allow-listed (the SSRF guard of `http_request`), with its auth header
from the keyring store; refused at private addresses and in offline runs."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.mcp.conftest import FAKE_SERVER, Runner, add, tool_workflow

pytestmark = pytest.mark.slow
TOKEN = "t0ken-for-tests-only"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_server() -> Iterator[int]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(FAKE_SERVER), "--http", str(port), "--token", TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "the test server exited"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """The header value, where `mcp add --auth-from-env` reads it and (with no OS keyring
    in tests) where the keyring fallback finds it."""
    monkeypatch.setenv("WEB_AUTH", f"Bearer {TOKEN}")
    monkeypatch.setenv("INTERLOCK_KEY_MCP_WEB", f"Bearer {TOKEN}")


def test_an_allow_listed_loopback_server_is_called_with_its_auth_header(
    http_server: int, auth: None, tmp_path: Path, config: Path
) -> None:
    url = f"http://127.0.0.1:{http_server}/mcp"
    private = f"127.0.0.1:{http_server}"
    assert add("web", "--url", url, "--private-host", private, "--auth-from-env", "WEB_AUTH") == 0
    assert TOKEN not in config.read_text()
    run = Runner(tmp_path)
    result = run(tool_workflow("mcp:web/echo", {"text": "over http"}))
    assert result.status == "succeeded", result.error
    assert result.outputs["out"]["text"] == "over http"
    offline = run(tool_workflow("mcp:web/echo", {"text": "x"}, offline=True))
    assert offline.status == "failed" and "offline" in (offline.error or "")


def test_without_the_auth_header_the_server_does_not_start(
    http_server: int, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{http_server}/mcp"
    assert add("web", "--url", url, "--private-host", f"127.0.0.1:{http_server}") == 0
    result = Runner(tmp_path)(tool_workflow("mcp:web/echo", {"text": "x"}))
    assert result.status == "failed" and "401 Unauthorized" in (result.error or "")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_a_url_at_a_private_address_is_refused(
    http_server: int, auth: None, tmp_path: Path, host: str
) -> None:
    assert (
        add("web", "--url", f"http://{host}:{http_server}/mcp", "--auth-from-env", "WEB_AUTH") == 0
    )
    run = Runner(tmp_path)
    result = run(tool_workflow("mcp:web/echo", {"text": "x"}))
    assert result.status == "failed"
    assert "loopback" in (result.error or "") and "allow-listed" in (result.error or "")
    assert run.audit() == [("tool_call", "refused", "mcp:web/echo")]
