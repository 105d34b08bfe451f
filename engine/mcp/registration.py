"""Registered MCP servers: the per-user `[mcp.<name>]` tables of the config file, one typed
value each. A stdio server is an absolute executable with its sha256 and fixed arguments;
an HTTP server is a URL. Secrets (an auth header, secret environment values) live in the
OS keyring, never in the file; workflows name a server, never a command line."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from engine.config import ConfigError, load_config, save_config
from engine.tools.base import Decision

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
Transport = Literal["stdio", "http"]
DECISIONS: tuple[Decision, ...] = ("allow", "ask", "deny")
TABLE = "mcp"


def secret_name(server: str, variable: str | None = None) -> str:
    """The keyring user name of a server's auth header (`mcp:NAME`) or of one of its
    secret environment variables (`mcp:NAME:VAR`)."""
    return f"mcp:{server}" if variable is None else f"mcp:{server}:{variable}"


@dataclass(frozen=True, slots=True)
class McpServer:
    """One registered server. For stdio: `command` is absolute and `sha256` is its content
    hash at registration; `args` are fixed; the process gets `env` plus `secret_env`
    (values from the keyring) and nothing else. For http: `url`, with an auth header from
    the keyring when `auth` is set, reachable only at public addresses unless its host:port
    is in `private_hosts`."""

    name: str
    transport: Transport
    command: str = ""
    sha256: str = ""
    args: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    """Python modules the user registered for `-m`."""
    env: dict[str, str] = field(default_factory=dict)
    secret_env: tuple[str, ...] = ()
    cwd: str | None = None
    url: str = ""
    auth: bool = False
    auth_header: str = "Authorization"
    private_hosts: tuple[str, ...] = ()
    timeout_s: float = 60.0
    """Upper bound on one call (a workflow's scope may only shorten it) and on start-up."""
    max_message_bytes: int = 16_000_000
    """A larger message from the server fails the call and stops the server."""
    decision: Decision | None = None
    """Server-wide allow/ask/deny; None: from each tool's annotations."""
    decisions: dict[str, Decision] = field(default_factory=dict)
    """Per-tool allow/ask/deny (wins over `decision`)."""

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ConfigError(
                f"MCP server name {self.name!r} must be a lowercase letter, then lowercase "
                "letters, digits, - or _ (at most 40)"
            )
        if self.transport == "stdio":
            if not self.command.startswith("/") or not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
                raise ConfigError(
                    f"MCP server {self.name!r}: a stdio server needs an absolute command "
                    "and its sha256 (register it with `interlock mcp add`)"
                )
        elif self.transport == "http":
            if not self.url.startswith(("http://", "https://")):
                raise ConfigError(f"MCP server {self.name!r}: the URL must be http(s)://…")
        else:
            raise ConfigError(f"MCP server {self.name!r}: unknown transport {self.transport!r}")
        bad_env = [n for n in [*self.env, *self.secret_env] if not ENV_NAME.match(n)]
        if bad_env:
            raise ConfigError(f"MCP server {self.name!r}: bad environment names {bad_env}")
        if not (math.isfinite(self.timeout_s) and 0 < self.timeout_s <= 3600):
            raise ConfigError(f"MCP server {self.name!r}: timeout_s must be in (0, 3600]")
        if self.max_message_bytes < 1024:
            raise ConfigError(f"MCP server {self.name!r}: max_message_bytes is too small")
        wrong = [
            d for d in [self.decision, *self.decisions.values()] if d not in (*DECISIONS, None)
        ]
        if wrong:
            raise ConfigError(f"MCP server {self.name!r}: decisions must be allow, ask or deny")

    def decision_for(self, tool: str) -> Decision | None:
        """The user's allow/ask/deny for `tool`, or None to follow its annotations."""
        return self.decisions.get(tool, self.decision)

    def fingerprint(self) -> str:
        """Changes whenever the registration does: a live session of an older one is not
        reused."""
        blob = json.dumps(self.to_config(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_config(self) -> dict[str, Any]:
        data: dict[str, Any] = {"transport": self.transport}
        if self.transport == "stdio":
            data.update(
                command=self.command,
                sha256=self.sha256,
                args=list(self.args),
                modules=list(self.modules),
                env=dict(self.env),
                secret_env=list(self.secret_env),
            )
            if self.cwd is not None:
                data["cwd"] = self.cwd
        else:
            data.update(
                url=self.url,
                auth=self.auth,
                auth_header=self.auth_header,
                private_hosts=list(self.private_hosts),
            )
        data.update(timeout_s=self.timeout_s, max_message_bytes=self.max_message_bytes)
        if self.decision is not None:
            data["decision"] = self.decision
        if self.decisions:
            data["decisions"] = dict(self.decisions)
        return data

    @classmethod
    def from_config(cls, name: str, data: dict[str, Any]) -> McpServer:
        try:
            env = data.get("env", {})
            decisions = data.get("decisions", {})
            if not isinstance(env, dict) or not isinstance(decisions, dict):
                raise TypeError("env and decisions must be tables")
            return cls(
                name=name,
                transport=cast(Transport, str(data["transport"])),
                command=str(data.get("command", "")),
                sha256=str(data.get("sha256", "")),
                args=tuple(str(a) for a in data.get("args", ())),
                modules=tuple(str(m) for m in data.get("modules", ())),
                env={str(k): str(v) for k, v in env.items()},
                secret_env=tuple(str(v) for v in data.get("secret_env", ())),
                cwd=str(data["cwd"]) if data.get("cwd") is not None else None,
                url=str(data.get("url", "")),
                auth=bool(data.get("auth", False)),
                auth_header=str(data.get("auth_header", "Authorization")),
                private_hosts=tuple(str(h) for h in data.get("private_hosts", ())),
                timeout_s=float(data.get("timeout_s", 60.0)),
                max_message_bytes=int(data.get("max_message_bytes", 16_000_000)),
                decision=cast("Decision | None", data.get("decision")),
                decisions={str(k): cast(Decision, str(v)) for k, v in decisions.items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"MCP server {name!r} in the config is malformed: {exc!r}") from None


def load_servers(config: dict[str, Any] | None = None) -> dict[str, McpServer]:
    """Every registered server by name."""
    config = load_config() if config is None else config
    table = config.get(TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError("`mcp` in the config must be a table")
    return {name: McpServer.from_config(name, table[name]) for name in sorted(table)}


def save_server(server: McpServer) -> None:
    config = load_config()
    config.setdefault(TABLE, {})[server.name] = server.to_config()
    save_config(config)


def remove_server(name: str) -> bool:
    config = load_config()
    servers = config.get(TABLE, {})
    if name not in servers:
        return False
    del servers[name]
    save_config(config)
    return True
