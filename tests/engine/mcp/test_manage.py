"""Registering and managing servers through `engine.mcp.manage` (what the app's Tool sources
page and `interlock mcp` share), and a tool source that follows the config file: a server
added, set to deny or removed applies to the next call without a restart."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from engine.config import ConfigError
from engine.mcp import McpToolSource, load_servers
from engine.mcp.manage import (
    http_registration,
    probe_blocking,
    register,
    set_decision,
    stdio_registration,
    unregister,
)
from engine.tools.errors import ToolRefused
from tests.engine.mcp.conftest import BIN

TIME = "mcp:time/get_current_time"


def test_a_stdio_registration_is_resolved_hashed_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    made = stdio_registration(
        "time",
        ["mcp-server-time", "--local-timezone", "UTC"],
        pass_env=["PATH"],
        secret_env=["TOKEN"],
        environ={"PATH": "/usr/bin", "TOKEN": "hunter2-secret"},
    )
    assert made.server.command == str(BIN / "mcp-server-time")
    assert len(made.server.sha256) == 64 and made.server.env == {"PATH": "/usr/bin"}
    assert made.secrets == {"mcp:time:TOKEN": "hunter2-secret"}
    assert "hunter2" not in repr(made)
    with pytest.raises(ToolRefused, match="code flags"):
        stdio_registration("evil", [sys.executable, "-c", "print(1)"])
    with pytest.raises(ValueError, match=r"\$NOPE is not set"):
        stdio_registration("x", [sys.executable], pass_env=["NOPE"], environ={})
    with pytest.raises(ToolRefused, match="not allowed"):
        http_registration("web", "file:///etc/passwd")
    assert http_registration("web", "https://example.com/mcp").secrets == {}


def test_the_tool_source_follows_registrations() -> None:
    source = McpToolSource.from_config()
    assert not source.knows(TIME)
    register(stdio_registration("time", [str(BIN / "mcp-server-time")]))
    assert source.knows(TIME)
    asyncio.run(source.load(TIME, offline=True))
    tool = source.get(TIME)
    assert tool is not None and tool.decision == "allow"

    set_decision("time", "get_current_time", "deny")
    assert source.get(TIME) is None  # listed again on the next call, under the new setting
    asyncio.run(source.load(TIME, offline=True))
    denied = source.get(TIME)
    assert denied is not None and denied.decision == "deny"

    unregister("time")
    assert not source.knows(TIME) and source.get(TIME) is None
    with pytest.raises(ConfigError, match="no MCP server 'time'"):
        unregister("time")


def test_probe_lists_tools_with_their_governance() -> None:
    register(stdio_registration("time", [str(BIN / "mcp-server-time")]))
    set_decision("time", None, "ask")
    found = probe_blocking(load_servers()["time"], offline=True)
    assert found.server_name == "mcp-time"
    assert {t.name: (t.decision, t.side_effect) for t in found.tools} == {
        "mcp:time/get_current_time": ("ask", "read"),
        "mcp:time/convert_time": ("ask", "read"),
    }
    assert found.tools[0].hints().startswith("readOnly=yes")
    assert found.regoverned(set_decision("time", None, None)).tools[0].decision == "allow"
