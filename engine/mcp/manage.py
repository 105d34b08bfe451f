"""Managing registered MCP servers, shared by `interlock mcp` and the app's Tool sources page:
build a checked registration (stdio: absolute executable, sha256, no code flags; HTTP: URL
shape), keep its secrets in the OS keyring, test a server (its tools, annotations and
allow/ask/deny), set a decision, forget a server and its secrets."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.config import ConfigError
from engine.mcp.launch import check_command, file_sha256, resolve_executable
from engine.mcp.registration import McpServer, load_servers, remove_server, save_server, secret_name
from engine.tools.base import Decision, SideEffect


@dataclass(frozen=True, slots=True)
class Registration:
    """A checked server and the secrets to keep for it (keyring user → value)."""

    server: McpServer
    secrets: dict[str, str] = field(default_factory=dict, repr=False)


def stdio_registration(
    name: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    pass_env: Iterable[str] = (),
    secret_env: Iterable[str] = (),
    modules: Iterable[str] = (),
    cwd: str | None = None,
    timeout_s: float = 60.0,
    max_message_bytes: int = 16_000_000,
    decision: Decision | None = None,
    environ: Mapping[str, str] | None = None,
) -> Registration:
    """A stdio server: `command[0]` resolved to an absolute executable and hashed, the rest
    fixed arguments (interpreter code flags refused). `pass_env` records each variable's
    value now, `secret_env` reads each from `environ` into the keyring. Raises ConfigError,
    ToolRefused, ValueError or OSError with a message for the user."""
    environ = os.environ if environ is None else environ
    if not command or not command[0].strip():
        raise ValueError("give the server's executable")
    values = dict(env or {})
    for variable in pass_env:
        if variable not in environ:
            raise ValueError(f"${variable} is not set, so its value cannot be recorded")
        values[variable] = environ[variable]
    executable = resolve_executable(command[0])
    modules = tuple(modules)
    check_command(executable, command[1:], modules)
    server = McpServer(
        name,
        "stdio",
        command=executable,
        sha256=file_sha256(executable),
        args=tuple(command[1:]),
        modules=modules,
        env=values,
        secret_env=tuple(secret_env),
        cwd=os.path.abspath(os.path.expanduser(cwd)) if cwd else None,
        timeout_s=timeout_s,
        max_message_bytes=max_message_bytes,
        decision=decision,
    )
    secrets: dict[str, str] = {}
    for variable in server.secret_env:
        value = environ.get(variable)
        if not value:
            raise ValueError(f"${variable} is not set, so there is no secret to keep")
        secrets[secret_name(name, variable)] = value
    return Registration(server, secrets)


def http_registration(
    name: str,
    url: str,
    *,
    auth_value: str | None = None,
    auth_header: str = "Authorization",
    private_hosts: Iterable[str] = (),
    timeout_s: float = 60.0,
    max_message_bytes: int = 16_000_000,
    decision: Decision | None = None,
) -> Registration:
    """A streamable-HTTP server. The URL's shape is checked now; its address is checked by
    the SSRF guard at every connection. `auth_value` (the header's value) goes to the
    keyring."""
    from engine.tools.netguard import parse_url

    parse_url(url)
    server = McpServer(
        name,
        "http",
        url=url,
        auth=bool(auth_value),
        auth_header=auth_header.strip() or "Authorization",
        private_hosts=tuple(h.strip() for h in private_hosts if h.strip()),
        timeout_s=timeout_s,
        max_message_bytes=max_message_bytes,
        decision=decision,
    )
    return Registration(server, {secret_name(name): auth_value} if auth_value else {})


def register(registration: Registration, environ: Mapping[str, str] | None = None) -> list[str]:
    """Keep the secrets, then save the server; where each secret went ("OS keyring", or the
    `INTERLOCK_KEY_…` variable that already holds it when there is no keyring). Raises
    ValueError when a secret has nowhere to go."""
    from engine.providers.remote import secrets

    environ = os.environ if environ is None else environ
    notes = []
    for user, value in registration.secrets.items():
        try:
            secrets.set_key(user, value)
            notes.append(f"{user} in the OS keyring")
        except secrets.NoKeyringBackend as exc:
            if environ.get(secrets.env_var(user)) != value:
                raise ValueError(str(exc)) from None
            notes.append(f"{user} in ${secrets.env_var(user)} (no OS keyring)")
    save_server(registration.server)
    return notes


def server_named(name: str) -> McpServer:
    server = load_servers().get(name)
    if server is None:
        raise ConfigError(f"no MCP server {name!r}")
    return server


def set_decision(name: str, tool: str | None, decision: Decision | None) -> McpServer:
    """Allow, ask or deny one tool (or, with `tool` None, the whole server); None returns
    it to the default (the server's setting, else the tool's annotations)."""
    server = server_named(name)
    if tool is None:
        server = dataclasses.replace(server, decision=decision)
    else:
        decisions = {k: v for k, v in server.decisions.items() if k != tool}
        if decision is not None:
            decisions[tool] = decision
        server = dataclasses.replace(server, decisions=decisions)
    save_server(server)
    return server


def unregister(name: str) -> McpServer:
    """Forget a server and delete its keyring secrets."""
    from engine.providers.remote import secrets

    server = server_named(name)
    if not remove_server(name):
        raise ConfigError(f"no MCP server {name!r}")
    users = [secret_name(name, v) for v in server.secret_env]
    for user in users + ([secret_name(name)] if server.auth else []):
        secrets.delete_key(user)
    return server


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """One tool a server lists, as Interlock governs it."""

    name: str
    """`mcp:SERVER/TOOL`."""
    tool: str
    description: str
    annotations: dict[str, Any] | None
    side_effect: SideEffect
    decision: Decision
    why: str
    input_schema: dict[str, Any]

    def hints(self) -> str:
        """The annotations in a few words ("readOnly=yes destructive=no"), or "none"."""
        if not self.annotations:
            return "no annotations"
        shown = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
        return " ".join(
            f"{key.removesuffix('Hint')}={'yes' if self.annotations[key] else 'no'}"
            for key in shown
            if self.annotations.get(key) is not None
        )


@dataclass(frozen=True, slots=True)
class Probe:
    """What testing a server found."""

    server: str
    server_name: str
    server_version: str
    seconds: float
    tools: tuple[ToolInfo, ...]
    listed: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    """The SDK's tool values, to govern again after a setting changes (`regoverned`)."""

    def regoverned(self, server: McpServer) -> Probe:
        """The same tools under `server`'s current allow/ask/deny settings."""
        return dataclasses.replace(self, tools=tool_infos(server, self.listed))


def tool_infos(server: McpServer, tools: Iterable[Any]) -> tuple[ToolInfo, ...]:
    from engine.mcp.source import governance

    infos = []
    for tool in tools:
        rules = governance(server, tool)
        infos.append(
            ToolInfo(
                name=f"mcp:{server.name}/{tool.name}",
                tool=tool.name,
                description=(tool.description or tool.title or "").strip(),
                annotations=tool.annotations.model_dump(exclude_none=True)
                if tool.annotations
                else None,
                side_effect=rules.side_effect,
                decision=rules.decision,
                why=rules.why,
                input_schema=dict(tool.inputSchema),
            )
        )
    return tuple(infos)


async def probe(server: McpServer, *, offline: bool) -> Probe:
    """Start (or connect to) the server in a session of its own, list its tools, stop it.
    Raises ToolError (ToolRefused for a launch or guard refusal) with a clear message."""
    from engine.mcp.connection import Sessions

    pool = Sessions()
    started = time.perf_counter()
    try:
        session = await pool.get(server, offline=offline)
        listing = session.listing
        assert listing is not None
    finally:
        await pool.close()
    return Probe(
        server.name,
        listing.server_name,
        listing.server_version,
        time.perf_counter() - started,
        tool_infos(server, listing.tools),
        listing.tools,
    )


def probe_blocking(server: McpServer, *, offline: bool) -> Probe:
    """`probe` on an event loop of its own (for a worker thread or a command)."""
    return asyncio.run(probe(server, offline=offline))
