"""What may be launched as a stdio MCP server, checked at registration and again at every
launch: an absolute executable whose sha256 still matches, fixed arguments with no
interpreter code flags (-c, -e, --eval, … and -m with an unregistered module), no program
that runs other programs, and an environment of exactly what the registration lists."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine.mcp.registration import McpServer, secret_name
from engine.tools.errors import ToolRefused

_FAMILY = re.compile(
    r"^(?P<name>python|pypy|node|nodejs|bun|deno|ruby|perl|php|lua|luajit|rscript|r|osascript"
    r"|sh|bash|dash|zsh|ksh|mksh|fish|csh|tcsh|pwsh|powershell|npx|bunx)"
    r"[0-9.\-]*(?:\.exe)?$"
)
_ALIASES = {"pypy": "python", "nodejs": "node", "bun": "node", "luajit": "lua", "bunx": "npx"}
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish"})
_CODE_FLAGS: dict[str, frozenset[str]] = {
    "python": frozenset({"-c", "--command"}),
    "node": frozenset(
        {"-e", "--eval", "-p", "--print", "-r", "--require", "--import", "--loader"}
        | {"--experimental-loader", "-i", "--interactive"}
    ),
    "deno": frozenset({"eval", "repl", "-e", "--eval"}),
    "ruby": frozenset({"-e", "-r"}),
    "perl": frozenset({"-e", "-E", "-M", "-m"}),
    "php": frozenset({"-r", "-B", "-R", "-E", "-F", "-a"}),
    "lua": frozenset({"-e", "-l", "-i"}),
    "rscript": frozenset({"-e", "--expr"}),
    "r": frozenset({"-e", "--expr"}),
    "osascript": frozenset({"-e"}),
    "shell": frozenset({"-c", "--command", "--init-command", "-C"}),
    "pwsh": frozenset({"-c", "-command", "-e", "-ec", "-encodedcommand", "-commandwithargs"}),
    "powershell": frozenset({"-c", "-command", "-e", "-ec", "-encodedcommand"}),
    "npx": frozenset({"-c", "--call"}),
}
"""Options that hand an interpreter program text. Every argument is checked, not only those
before the script: fail closed where a flag's owner is ambiguous."""
_CLUSTERED = {"python": "c", "shell": "c", "perl": "eEMm", "ruby": "er", "lua": "eli"}
"""Families whose single-dash options cluster (`-Ic`, `-lc`): letters that mean code."""
_RUNS_OTHERS = frozenset(
    {"env", "sudo", "doas", "su", "nohup", "xargs", "timeout", "nice", "ionice", "setsid"}
    | {"stdbuf", "busybox", "cmd", "cmd.exe", "awk", "gawk", "mawk", "nawk", "sed", "find"}
    | {"ssh", "script", "watch", "flock", "chroot", "unshare", "nsenter", "strace"}
)
"""Programs that run another program (or a program text) given in their arguments: that
program would escape the checksum, so register the server's own executable instead."""
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True, slots=True)
class Launch:
    """Exactly what is started: no shell, no inherited environment."""

    command: str
    args: tuple[str, ...]
    env: dict[str, str]
    cwd: str | None


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _family(path: str) -> str | None:
    """The interpreter family of `path` (by its name and by the file it links to)."""
    for candidate in (path, os.path.realpath(path)):
        match = _FAMILY.match(os.path.basename(candidate).lower())
        if match:
            name = _ALIASES.get(match["name"], match["name"])
            return "shell" if name in _SHELLS else name
    return None


def _runs_others(path: str) -> str | None:
    for candidate in (path, os.path.realpath(path)):
        base = os.path.basename(candidate).lower()
        if base in _RUNS_OTHERS:
            return base
    return None


def check_command(command: str, args: Iterable[str], modules: Iterable[str] = ()) -> None:
    """Refuse a launch that could run code the registration does not pin down."""
    arguments = list(args)
    wrapper = _runs_others(command)
    if wrapper is not None:
        raise ToolRefused(
            f"{wrapper} runs other programs; register the MCP server's own executable instead"
        )
    family = _family(command)
    if family is None:
        return
    flags = _CODE_FLAGS.get(family, frozenset())
    clustered = _CLUSTERED.get(family, "")
    allowed = set(modules)
    for i, arg in enumerate(arguments):
        head = arg.split("=", 1)[0]
        lowered = head.lower() if family in ("pwsh", "powershell") else head
        if lowered in flags:
            raise ToolRefused(
                f"{arg!r}: interpreter code flags are refused (the code would bypass the "
                "registered checksum); register the server's own executable instead"
            )
        if arg == "-":
            raise ToolRefused("'-' would make the interpreter read a program from stdin")
        if family == "python" and re.match(r"^-[A-Za-z]", arg):
            letters = arg[1:]
            for j, letter in enumerate(letters):
                if letter == "c":
                    raise ToolRefused(f"{arg!r} contains the interpreter code flag -c; refused")
                if letter in "WX":
                    break  # the rest of the cluster is that option's value
                if letter == "m":
                    following = arguments[i + 1] if i + 1 < len(arguments) else ""
                    _check_module(letters[j + 1 :] or following, allowed)
                    return  # the rest are the module's own arguments
        if clustered and re.match(r"^-[A-Za-z]{2,}$", arg) and set(arg[1:]) & set(clustered):
            raise ToolRefused(f"{arg!r} contains an interpreter code flag; refused")


def _check_module(module: str, allowed: set[str]) -> None:
    if not _MODULE.match(module):
        raise ToolRefused(f"-m needs a module name, not {module!r}")
    if module not in allowed:
        raise ToolRefused(
            f"-m {module}: the module is not registered (add `--module {module}` to register it)"
        )


def resolve_executable(command: str) -> str:
    """An absolute path for `command` (looked up on PATH once, now, at registration). The
    path is kept as given (a venv's python must stay the venv's), its content is hashed."""
    found = command if os.sep in command else shutil.which(command)
    if found is None:
        raise ToolRefused(f"no executable {command!r} on PATH")
    path = os.path.abspath(os.path.expanduser(found))
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise ToolRefused(f"{path} is not an executable file")
    return path


def verify(server: McpServer) -> None:
    """Re-check a stdio registration before a launch: same bytes, same safe arguments."""
    try:
        actual = file_sha256(server.command)
    except OSError as exc:
        raise ToolRefused(
            f"MCP server {server.name!r}: cannot read {server.command}: {exc.strerror}"
        ) from None
    if actual != server.sha256:
        raise ToolRefused(
            f"MCP server {server.name!r}: {server.command} changed since it was registered "
            f"(sha256 {actual[:12]}…, registered {server.sha256[:12]}…); not started. "
            f"Check it, then register it again with `interlock mcp add {server.name} -- …`"
        )
    check_command(server.command, server.args, server.modules)


def launch_for(server: McpServer, secrets: Mapping[str, str | None]) -> Launch:
    """The verified launch; `secrets` maps each secret variable to its keyring value."""
    verify(server)
    env = dict(server.env)
    for variable in server.secret_env:
        value = secrets.get(variable)
        if value is None:
            raise ToolRefused(
                f"MCP server {server.name!r}: no secret for ${variable} in the keyring "
                f"(user {secret_name(server.name, variable)!r}); add the server again with "
                f"--secret-env {variable}"
            )
        env[variable] = value
    return Launch(server.command, server.args, env, server.cwd)
