"""The real `mcp-server-fetch` (stdio) pointed at an HTTP server this test starts on
127.0.0.1: nothing leaves the machine (the server's environment holds no proxy setting,
and the page server records every request it gets).

Its fetches are made by the server process itself, not by Interlock, so Interlock's SSRF
guard (which keeps `http_request` and HTTP MCP servers to public addresses unless a
private host:port is allow-listed with --private-host) does not apply to them. The fetch
server has a guard of its own: it refuses private, loopback and link-local addresses
unless started with `--allow-private-ips`, a fixed argument of its registration (nothing
in a workflow can add it), and then for every private address at once. It annotates
`fetch` read-only, so it is allowed by default: an approval rule on its `url` argument
(or `interlock mcp set fetch fetch ask`) puts a person before each such fetch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from engine.workflow.model import Workflow
from tests.engine.mcp.conftest import BIN, Runner, add, tool_workflow

pytestmark = pytest.mark.slow
PAGE = "<html><head><title>Loopback</title></head><body><h1>Quarterly notes</h1>" + (
    "<p>The loopback page says hello from 127.0.0.1.</p>" * 3
) + "</body></html>"  # fmt: skip


@pytest.fixture
def site() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 (any free port): its base URL and the paths requested."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else PAGE.encode()
            kind = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def fetch_servers() -> None:
    """`fetch` as installed, and `local` registered to reach private addresses."""
    assert add("fetch", "--", str(BIN / "mcp-server-fetch")) == 0
    assert add("local", "--", str(BIN / "mcp-server-fetch"), "--allow-private-ips") == 0


def test_the_fetch_server_refuses_loopback_by_default(
    site: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, seen = site
    result = Runner(tmp_path)(tool_workflow("mcp:fetch/fetch", {"url": f"{base}/page.html"}))
    assert result.status == "failed"
    assert "is not a public address" in str(result.error)
    assert "--allow-private-ips" in str(result.error)
    assert seen == []


def test_fetch_reads_the_loopback_page(site: tuple[str, list[str]], tmp_path: Path) -> None:
    base, seen = site
    run = Runner(tmp_path)  # no approver answer: a request to approve would fail the test
    result = run(tool_workflow("mcp:local/fetch", {"url": f"{base}/page.html"}))
    assert result.status == "succeeded", result.error
    text = result.outputs["out"]["text"]
    assert "Quarterly notes" in text and "hello from 127.0.0.1" in text
    assert seen == ["/robots.txt", "/page.html"]  # the only requests, both to this server
    assert run.types() == ["tool_called", "tool_succeeded"]
    called = next(e for e in run.events if e.type == "tool_called")
    assert called.side_effect == "read"  # type: ignore[attr-defined]


def test_interlock_guards_its_own_http_and_an_approval_rule_gates_the_fetch(
    site: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, seen = site
    url = f"{base}/page.html"
    direct = Runner(tmp_path)(
        Workflow.model_validate(
            {
                **tool_workflow("http_request", {"url": url}).model_dump(mode="json"),
                "policy": {"allowed_tools": ["http_request"]},
            }
        )
    )
    assert direct.status == "failed"
    assert "private" in str(direct.error) or "127.0.0.1" in str(direct.error)
    assert seen == []  # Interlock's own HTTP tool never connected

    rule = {"name": "fetch from this machine", "tools": ["mcp:local/*"],
            "arguments": {"url": "http://127.0.0.1*"}}  # fmt: skip
    run = Runner(tmp_path, decision="reject")
    gated = run(tool_workflow("mcp:local/fetch", {"url": url}, approval_rules=[rule]))
    assert [r.request.rule for r in run.asked] == ["fetch from this machine"]
    assert run.asked[0].request.proposed == {"tool": "mcp:local/fetch", "arguments": {"url": url}}
    assert gated.status == "failed" and seen == []  # rejected: the server was never asked
