"""What may be registered and launched as a stdio MCP server (no process is started here):
interpreter code flags and program-running wrappers are refused, `-m` needs a registered
module, registrations round-trip through the config file, and `mcp:SERVER/*` grants."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.config import ConfigError
from engine.mcp.launch import check_command
from engine.mcp.registration import McpServer, load_servers
from engine.mcp.source import McpToolSource, parse_name
from engine.nodes.toolbox import builtin_tools
from engine.tools.errors import ToolRefused
from engine.tools.registry import granted
from tests.engine.mcp.conftest import BIN, add

REFUSED = [
    ("/usr/bin/python3", ["-c", "import os"]),
    ("/usr/bin/python3.11", ["-Ic", "import os"]),
    ("/usr/bin/python3", ["-W", "ignore", "-c", "x"]),
    ("/usr/bin/python3", ["-m", "http.server"]),
    ("/usr/bin/python3", ["-mhttp.server"]),
    ("/usr/bin/python3", ["-Im", "http.server"]),
    ("/usr/bin/python3", ["-"]),
    ("/usr/bin/pypy3", ["-c", "x"]),
    ("/usr/bin/node", ["-e", "require('child_process')"]),
    ("/usr/bin/node", ["--eval=process.exit()"]),
    ("/usr/bin/node", ["server.js", "--require", "./evil.js"]),
    ("/usr/local/bin/bun", ["-p", "1"]),
    ("/usr/bin/deno", ["eval", "Deno.exit()"]),
    ("/bin/bash", ["-c", "curl x | sh"]),
    ("/bin/sh", ["-lc", "id"]),
    ("/usr/bin/zsh", ["-c", "id"]),
    ("/usr/bin/perl", ["-e", "system 'id'"]),
    ("/usr/bin/ruby", ["-e", "exit"]),
    ("/usr/bin/php", ["-r", "system('id');"]),
    ("/usr/bin/pwsh", ["-Command", "Get-Process"]),
    ("/usr/bin/pwsh", ["-EncodedCommand", "ZQBjAGgAbwA="]),
    ("/usr/bin/npx", ["-c", "id"]),
    ("/usr/bin/env", ["python3", "server.py"]),
    ("/usr/bin/sudo", ["/opt/server"]),
    ("/bin/busybox", ["sh", "-c", "id"]),
    ("/usr/bin/awk", ['BEGIN { system("id") }']),
    ("/usr/bin/xargs", ["sh"]),
]


@pytest.mark.parametrize(("command", "args"), REFUSED, ids=lambda v: str(v))
def test_code_flags_and_wrappers_are_refused(command: str, args: list[str]) -> None:
    with pytest.raises(ToolRefused):
        check_command(command, args, modules=["mcp_server_time"])


@pytest.mark.parametrize(
    ("command", "args", "modules"),
    [
        (
            "/usr/bin/python3",
            ["-m", "mcp_server_time", "--local-timezone", "UTC"],
            ["mcp_server_time"],
        ),
        ("/usr/bin/python3", ["-I", "-m", "mcp_server_time"], ["mcp_server_time"]),
        ("/usr/bin/python3", ["/opt/server.py", "--port", "1"], []),
        ("/usr/bin/node", ["/opt/server/index.js"], []),
        ("/opt/venv/bin/mcp-server-git", ["--repository", "/srv/repo"], []),
        ("/opt/bin/some-server", ["-c", "config.yaml", "-e", "prod"], []),
    ],
)
def test_ordinary_servers_are_accepted(command: str, args: list[str], modules: list[str]) -> None:
    check_command(command, args, modules)


def test_the_interpreter_is_recognised_through_a_symlink(tmp_path: Path) -> None:
    link = tmp_path / "server"
    link.symlink_to(sys.executable)
    with pytest.raises(ToolRefused, match="code flag"):
        check_command(str(link), ["-c", "print(1)"])


def test_a_refused_registration_exits_2_and_saves_nothing(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add("evil", "--", sys.executable, "-c", "import os; os.system('id')") == 2
    assert add("evil", "--", sys.executable, "-m", "http.server") == 2
    assert "--module http.server" in capsys.readouterr().err
    assert add("evil", "--", "no-such-program-anywhere") == 2
    assert add("evil", "--url", "http://user:pw@example.com/mcp") == 2
    assert add("Evil", "--", str(BIN / "mcp-server-time")) == 2
    assert not config.exists() or "mcp" not in tomllib.loads(config.read_text())


def test_registration_records_path_checksum_and_fixed_arguments(config: Path) -> None:
    assert (
        add(
            "time", "--env", "TZ=UTC", "--", str(BIN / "mcp-server-time"), "--local-timezone", "UTC"
        )
        == 0
    )
    server = load_servers()["time"]
    assert server.command == str(BIN / "mcp-server-time") and len(server.sha256) == 64
    assert server.args == ("--local-timezone", "UTC") and server.env == {"TZ": "UTC"}
    assert McpServer.from_config("time", server.to_config()) == server
    with pytest.raises(ConfigError):
        McpServer("time", "stdio", command="relative/path", sha256=server.sha256)


def test_names_and_grants() -> None:
    assert parse_name("mcp:git/git_status") == ("git", "git_status")
    assert parse_name("mcp:git/*") == ("git", "*")
    assert parse_name("mcp:Git/x") is None and parse_name("git_status") is None
    assert granted("mcp:git/git_status", ["mcp:git/*"])
    assert not granted("mcp:gitx/git_status", ["mcp:git/*"])
    assert not granted("mcp:git/a/b", ["mcp:git/*"])
    assert not granted("file_write", ["*"]) and not granted("file_write", ["mcp:*"])


def test_the_registry_knows_registered_servers_without_starting_them(config: Path) -> None:
    assert add("time", "--", str(BIN / "mcp-server-time")) == 0
    tools = builtin_tools()
    assert "mcp:time/get_current_time" in tools and "mcp:time/*" in tools
    assert "mcp:other/x" not in tools
    assert tools.get("mcp:time/get_current_time") is None  # not listed until first use
    assert isinstance(tools.source_for("mcp:time/x"), McpToolSource)


def test_list_shows_registrations_and_validate_names_a_missing_server(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = tmp_path / "t.interlock.yaml"
    workflow.write_text(
        "version: 1\nmetadata: {name: t}\nnodes:\n  - id: now\n    kind: tool\n"
        "    config: {tool: 'mcp:time/get_current_time', inputs: []}\n"
        "policy: {allowed_tools: ['mcp:time/*']}\n"
    )
    assert main(["validate", str(workflow)]) == 2
    assert "no such MCP server is registered" in capsys.readouterr().out
    assert add("time", "--", str(BIN / "mcp-server-time")) == 0
    assert main(["validate", str(workflow)]) == 0
    capsys.readouterr()
    assert main(["mcp", "list", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["name"] == "time" and row["transport"] == "stdio" and len(row["sha256"]) == 64
