"""`interlock mcp`: register, list, test, set and remove MCP servers (tool sources).

Registrations go in the user config file (`[mcp.<name>]`); secrets (an HTTP auth header,
secret environment values) go in the OS keyring and are never printed. Exit codes: 0 ok,
1 the server could not be reached or listed, 2 usage or a refused registration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("mcp", help="MCP servers whose tools workflows may be granted")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    msub = p.add_subparsers(dest="mcp_command", metavar="ACTION")
    q = msub.add_parser(
        "add",
        help="register a server: NAME -- COMMAND ARGS… (stdio) or NAME --url URL (HTTP)",
        description="Register a stdio server (`interlock mcp add NAME -- COMMAND ARGS…`: the "
        "executable is resolved to an absolute path and its sha256 recorded; arguments are "
        "fixed; no shell) or a streamable-HTTP server (`--url`).",
    )
    q.add_argument("name")
    add_options(q)
    q.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS… (stdio servers)")
    q.set_defaults(handler=cmd_add)
    q = msub.add_parser("list", help="list registered servers")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_list)
    q = msub.add_parser("test", help="start or connect, and list tools with their annotations")
    q.add_argument("name")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_test)
    q = msub.add_parser("set", help="allow, ask or deny a server's tools (or one tool)")
    q.add_argument("name")
    q.add_argument("tool", nargs="?", help="one tool (default: the whole server)")
    q.add_argument("decision", choices=["allow", "ask", "deny", "default"])
    q.set_defaults(handler=cmd_set)
    q = msub.add_parser("remove", help="forget a server and its secrets")
    q.add_argument("name")
    q.set_defaults(handler=cmd_remove)


def add_options(q: argparse.ArgumentParser) -> None:
    """The options of `mcp add` (also parsed when they follow NAME)."""
    q.add_argument("--url", help="streamable-HTTP endpoint, e.g. https://host/mcp")
    q.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    q.add_argument(
        "--pass-env",
        action="append",
        default=[],
        metavar="NAME",
        help="record this variable's current value (e.g. PATH) in the registration",
    )
    q.add_argument(
        "--secret-env",
        action="append",
        default=[],
        metavar="NAME",
        help="read $NAME now, keep it in the OS keyring, give it to the server at launch",
    )
    q.add_argument("--module", action="append", default=[], help="allow `-m MODULE` (python)")
    q.add_argument("--cwd", help="working directory of the server process")
    auth = q.add_mutually_exclusive_group()
    auth.add_argument("--auth-from-env", metavar="VAR", help="auth header value from $VAR")
    auth.add_argument("--auth-stdin", action="store_true", help="auth header value from stdin")
    q.add_argument("--auth-header", default="Authorization")
    q.add_argument(
        "--private-host",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="allow this host:port to resolve to a private or loopback address",
    )
    q.add_argument("--timeout", type=float, default=60.0, help="seconds per call (upper bound)")
    q.add_argument("--max-message-bytes", type=int, default=16_000_000)
    q.add_argument("--decision", choices=["allow", "ask", "deny"], help="for every tool")


def _fail(message: str) -> int:
    print(f"interlock: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _env(items: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--env {item!r}: use NAME=VALUE")
        env[name] = value
    return env


def cmd_add(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from engine.mcp.manage import http_registration, register, stdio_registration
    from engine.tools.errors import ToolRefused

    rest = list(args.command)  # argparse has dropped a `--` right after NAME
    head: list[str] = []
    command = rest
    if rest[:1] and rest[0].startswith("-"):  # options written after NAME, then `--`
        split = rest.index("--") if "--" in rest else len(rest)
        head, command = rest[:split], rest[split + 1 :]
    if head:  # options written after NAME
        inner = argparse.ArgumentParser(prog="interlock mcp add NAME", add_help=False)
        add_options(inner)
        inner.parse_args(head, namespace=args)
    if bool(command) == bool(args.url):
        return _fail("give either `-- COMMAND ARGS…` (stdio) or --url URL (HTTP)")
    try:
        if args.url:
            auth = None
            if args.auth_from_env or args.auth_stdin:
                auth = (
                    os.environ.get(args.auth_from_env, "")
                    if args.auth_from_env
                    else sys.stdin.readline().strip()
                )
                if not auth:
                    return _fail("no auth header value given")
            registration = http_registration(
                args.name,
                args.url,
                auth_value=auth,
                auth_header=args.auth_header,
                private_hosts=args.private_host,
                timeout_s=args.timeout,
                max_message_bytes=args.max_message_bytes,
                decision=args.decision,
            )
        else:
            registration = stdio_registration(
                args.name,
                command,
                env=_env(args.env),
                pass_env=args.pass_env,
                secret_env=args.secret_env,
                modules=args.module,
                cwd=args.cwd,
                timeout_s=args.timeout,
                max_message_bytes=args.max_message_bytes,
                decision=args.decision,
            )
        notes = register(registration)
    except (ConfigError, ToolRefused, ValueError, OSError) as exc:
        return _fail(str(exc))
    server = registration.server
    what = server.url if server.transport == "http" else " ".join([server.command, *server.args])
    kept = f" (secrets: {', '.join(notes)})" if notes else ""
    print(f"added MCP server {server.name}: {what}{kept}")
    print(
        f"grant its tools as mcp:{server.name}/TOOL or mcp:{server.name}/*; try it with "
        f"`interlock mcp test {server.name}`"
    )
    return EXIT_OK


def _row(server: Any) -> dict[str, Any]:
    return {"name": server.name, **server.to_config()}


def cmd_list(args: argparse.Namespace) -> int:
    from engine.mcp.registration import load_servers

    rows = [_row(s) for s in load_servers().values()]
    if getattr(args, "json", False):
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no MCP servers; add one with `interlock mcp add NAME -- COMMAND ARGS…`")
    for r in rows:
        where = r.get("url") or " ".join([r["command"], *r["args"]])
        extra = f"  sha256 {r['sha256'][:12]}…" if r["transport"] == "stdio" else ""
        settings = r.get("decision", "by annotations")
        print(f"{r['name']:<14} {r['transport']:<5} {where}{extra}  tools: {settings}")
        for tool, decision in sorted(r.get("decisions", {}).items()):
            print(f"{'':<14} {tool}: {decision}")
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    from engine.mcp.manage import probe_blocking
    from engine.mcp.registration import load_servers
    from engine.providers.remote import offline_switch
    from engine.tools.errors import ToolError

    server = load_servers().get(args.name)
    if server is None:
        return _fail(f"no MCP server {args.name!r}")
    try:
        found = probe_blocking(server, offline=offline_switch())
    except ToolError as exc:
        print(f"{server.name}: FAILED — {exc}", file=sys.stderr)
        return EXIT_FAILED
    rows = [
        {
            "tool": t.name,
            "description": t.description.splitlines()[:1],
            "annotations": t.annotations,
            "side_effect": t.side_effect,
            "decision": t.decision,
            "why": t.why,
            "input_schema": t.input_schema,
        }
        for t in found.tools
    ]
    if args.json:
        seconds = round(found.seconds, 3)
        print(json.dumps({"server": server.name, "seconds": seconds, "tools": rows}))
        return EXIT_OK
    print(
        f"{server.name}: ok in {found.seconds:.2f}s — {found.server_name} "
        f"{found.server_version}, {len(rows)} tools"
    )
    for tool in found.tools:
        print(
            f"  {tool.name:<36} {tool.side_effect:<8} {tool.decision:<5} "
            f"({tool.why}; {tool.hints()})"
        )
    return EXIT_OK


def cmd_set(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from engine.mcp.manage import set_decision

    decision = None if args.decision == "default" else args.decision
    try:
        server = set_decision(args.name, args.tool, decision)
    except ConfigError as exc:
        return _fail(str(exc))
    what = f"{server.name}/{args.tool}" if args.tool else f"every tool of {server.name}"
    print(f"{what}: {args.decision}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from engine.mcp.manage import unregister

    try:
        unregister(args.name)
    except ConfigError as exc:
        return _fail(str(exc))
    print(f"removed MCP server {args.name}")
    return EXIT_OK
