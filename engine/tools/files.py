"""The file tools (`file_read`, `file_write`, `file_list`), confined to granted root folders
(`paths.py`); writes are atomic (temp file in the same folder, then rename) and exclusive
when asked (`create`)."""

from __future__ import annotations

import os
import secrets
import stat
from typing import Any

from pydantic import Field

from engine.tools.base import Scope, Tool, ToolCall
from engine.tools.errors import ToolError, ToolRefused
from engine.tools.paths import FileRoot, Located, _fail, locate, narrow_roots, open_dir

_FILE_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
MAX_ENTRIES = 1000


class FileScope(Scope):
    roots: list[FileRoot] = Field(default_factory=list, description="Granted folders.")
    max_bytes: int = Field(default=1_000_000, ge=1, le=100_000_000, description="Per file.")

    def narrow(self, requested: FileScope) -> FileScope:
        return FileScope(
            roots=narrow_roots(self.roots, requested.roots),
            max_bytes=min(self.max_bytes, requested.max_bytes),
        )


def _located(call: ToolCall[FileScope], path: str, write: bool = False) -> Located:
    located = locate(path, call.scope.roots, call.base_dir)
    if write and located.mode != "write":
        raise ToolRefused(f"path {path!r} is in a read-only folder")
    return located


async def file_read(call: ToolCall[FileScope], args: dict[str, Any]) -> dict[str, Any]:
    located = _located(call, args["path"])
    if not located.parts:
        raise ToolRefused("path names a folder, not a file")
    limit = min(call.scope.max_bytes, int(args.get("max_bytes") or call.scope.max_bytes))
    with open_dir(located, located.parts[:-1]) as dir_fd:
        try:
            fd = os.open(located.parts[-1], os.O_RDONLY | _FILE_FLAGS, dir_fd=dir_fd)
        except OSError as exc:
            raise _fail(exc, args["path"]) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ToolRefused(f"{args['path']!r} is not a regular file")
            data = os.read(fd, limit + 1)
        finally:
            os.close(fd)
    return {
        "path": args["path"],
        "content": data[:limit].decode("utf-8", errors="replace"),
        "bytes": info.st_size,
        "truncated": len(data) > limit,
    }


async def file_write(call: ToolCall[FileScope], args: dict[str, Any]) -> dict[str, Any]:
    located = _located(call, args["path"], write=True)
    if not located.parts:
        raise ToolRefused("path names a folder, not a file")
    data = str(args["content"]).encode("utf-8")
    if len(data) > call.scope.max_bytes:
        raise ToolRefused(f"content is {len(data)} bytes; the limit is {call.scope.max_bytes}")
    name = located.parts[-1]
    exclusive = args.get("mode", "overwrite") == "create"
    with open_dir(located, located.parts[:-1], create=bool(args.get("create_dirs", True))) as dfd:
        try:
            existing = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            raise ToolRefused(f"{args['path']!r} exists and is not a regular file")
        if existing is not None and exclusive:
            raise ToolError(f"{args['path']!r} already exists")
        temp = f".{name[:64]}.{secrets.token_hex(6)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FILE_FLAGS
        fd = os.open(temp, flags, 0o644, dir_fd=dfd)
        try:
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            if exclusive:
                os.link(temp, name, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
            else:
                os.replace(temp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except FileExistsError:
            raise ToolError(f"{args['path']!r} already exists") from None
        finally:
            try:
                os.unlink(temp, dir_fd=dfd)
            except FileNotFoundError:
                pass
    return {"path": args["path"], "bytes": len(data), "created": existing is None}


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


async def file_list(call: ToolCall[FileScope], args: dict[str, Any]) -> dict[str, Any]:
    located = _located(call, args["path"])
    entries: list[dict[str, Any]] = []
    with open_dir(located, located.parts) as dfd:
        names = sorted(os.listdir(dfd))
        for name in names[:MAX_ENTRIES]:
            info = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            entry = {"name": name, "type": _kind(info.st_mode), "bytes": info.st_size}
            entries.append(entry)
    return {"path": args["path"], "entries": entries, "truncated": len(names) > MAX_ENTRIES}


_PATH = {"type": "string", "minLength": 1, "maxLength": 1024}
FILE_READ = Tool(
    name="file_read",
    description="Read a text file inside a granted folder.",
    arguments={
        "type": "object",
        "properties": {"path": _PATH, "max_bytes": {"type": "integer", "minimum": 1}},
        "required": ["path"],
        "additionalProperties": False,
    },
    result={
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "content": {"type": "string"},
            "bytes": {"type": "integer"},
            "truncated": {"type": "boolean"},
        },
        "required": ["path", "content", "bytes", "truncated"],
    },
    side_effect="read",
    scope=FileScope,
    handler=file_read,
)
FILE_WRITE = Tool(
    name="file_write",
    description="Write a text file inside a writable granted folder (atomically).",
    arguments={
        "type": "object",
        "properties": {
            "path": _PATH,
            "content": {"type": "string"},
            "mode": {"type": "string", "enum": ["overwrite", "create"]},
            "create_dirs": {"type": "boolean"},
        },
        "required": ["path", "content"],
        "additionalProperties": False,
    },
    result={
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "bytes": {"type": "integer"},
            "created": {"type": "boolean"},
        },
        "required": ["path", "bytes", "created"],
    },
    side_effect="write",
    scope=FileScope,
    handler=file_write,
    idempotent=True,
)
FILE_LIST = Tool(
    name="file_list",
    description="List a folder inside a granted folder.",
    arguments={
        "type": "object",
        "properties": {"path": _PATH},
        "required": ["path"],
        "additionalProperties": False,
    },
    result={
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "entries": {"type": "array", "items": {"type": "object"}},
            "truncated": {"type": "boolean"},
        },
        "required": ["path", "entries", "truncated"],
    },
    side_effect="read",
    scope=FileScope,
    handler=file_list,
)
