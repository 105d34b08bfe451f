"""Confining file access to granted root folders: path text checks (NUL, backslashes,
percent-encoding, unicode look-alikes, `..`), root matching, and a walk from the root's
real path that opens every component with O_NOFOLLOW, so no symlink is ever followed."""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.tools.errors import ToolError, ToolRefused

Mode = Literal["read", "write"]
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_LOOKALIKES = frozenset(
    "\u2024\u2025\u2026\ufe52\uff0e\u2215\u2044\u29f8\uff0f\u2216\ufe68\uff3c\u0338"
)
MAX_PATH = 1024
_CONTROL = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class FileRoot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="Folder, relative to the workflow file.")
    mode: Mode = "read"


def _norm(path: str) -> str:
    return posixpath.normpath(path.replace(os.sep, "/"))


def root_covers(granted: FileRoot, requested: FileRoot) -> bool:
    """Lexically: `requested` is `granted` or a folder inside it."""
    g, r = _norm(granted.path), _norm(requested.path)
    if posixpath.isabs(g) != posixpath.isabs(r):
        return False
    return g == r or (g == "." and not r.startswith("..")) or r.startswith(g.rstrip("/") + "/")


def narrow_roots(granted: list[FileRoot], requested: list[FileRoot]) -> list[FileRoot]:
    kept: list[FileRoot] = []
    for want in requested:
        covering = [g for g in granted if root_covers(g, want)]
        if covering:
            writable = want.mode == "write" and any(g.mode == "write" for g in covering)
            kept.append(FileRoot(path=want.path, mode="write" if writable else "read"))
    return kept


def check_text(path: str) -> list[str]:
    """Reject the path text itself; returns its non-empty, non-`.` segments."""
    if not path or len(path) > MAX_PATH:
        raise ToolRefused("path is empty or too long")
    if any(unicodedata.category(c) in _CONTROL for c in path):
        raise ToolRefused("path contains NUL, control, format or unassigned characters")
    if "\\" in path:
        raise ToolRefused("path contains a backslash")
    if _PERCENT.search(path):
        raise ToolRefused("path contains percent-encoding")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise ToolRefused("path is not valid unicode") from None
    if unicodedata.normalize("NFKC", path) != path or any(c in _LOOKALIKES for c in path):
        raise ToolRefused("path contains unicode look-alikes of dots or slashes")
    if path.startswith("~"):
        raise ToolRefused("path starts with ~ (home folders are not expanded)")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ToolRefused("path contains '..'")
    if any(p.strip(" .") == "" or p != p.rstrip(" ") for p in parts):
        raise ToolRefused("path has segments made of dots or trailing spaces")
    return parts


@dataclass(frozen=True, slots=True)
class Located:
    root: Path
    """The root's real path."""
    mode: Mode
    parts: tuple[str, ...]
    """Segments below the root (empty for the root itself)."""


def locate(path: str, roots: list[FileRoot], base_dir: Path) -> Located:
    """Which granted root `path` lies in (the most specific one), and where below it."""
    parts = check_text(path)
    base = os.path.realpath(base_dir)
    candidate = "/" + "/".join(parts) if path.startswith("/") else posixpath.join(base, *parts)
    best: Located | None = None
    for root in roots:
        lexical = os.path.abspath(os.path.join(base_dir, root.path))
        real = os.path.realpath(lexical)
        for prefix in dict.fromkeys((real, lexical)):
            if candidate == prefix or candidate.startswith(prefix.rstrip("/") + "/"):
                rest = candidate[len(prefix) :].strip("/")
                found = Located(Path(real), root.mode, tuple(p for p in rest.split("/") if p))
                if best is None or len(found.parts) < len(best.parts):
                    best = found
    if best is None:
        raise ToolRefused(f"path {path!r} is outside the tool's granted folders")
    return best


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _fail(exc: OSError, what: str) -> ToolError:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        return ToolRefused(f"{what} goes through a symbolic link or a non-folder")
    if exc.errno == errno.ENOENT:
        return ToolError(f"{what} does not exist")
    return ToolError(f"{what}: {exc.strerror}")


@contextlib.contextmanager
def open_dir(located: Located, segments: tuple[str, ...], create: bool = False) -> Iterator[int]:
    """A descriptor of the folder below the root at `segments`, opened without following
    any symlink (created, mode 0o755, when `create`)."""
    try:
        fd = os.open(located.root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _fail(exc, "the granted folder") from None
    try:
        for i, name in enumerate(segments):
            try:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, 0o755, dir_fd=fd)
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise _fail(exc, "/".join(segments[: i + 1])) from None
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)
