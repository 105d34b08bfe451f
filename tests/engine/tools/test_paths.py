"""The path corpus against real files: no input reads, writes or lists anything outside
the granted root (canary files and symlinks made here), and granted paths work."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.engine.tools.conftest import Harness, corpus

PATHS = corpus("paths.txt")
SECRET = "CANARY-FILE-SECRET"
FILE_TOOLS = ["file_read", "file_write", "file_list"]


def test_corpus_is_large_enough() -> None:
    assert len(PATHS) >= 60


@pytest.fixture
def base(tmp_path: Path) -> Path:
    base = tmp_path / "work"
    (base / "docs" / "sub").mkdir(parents=True)
    (base / "outside").mkdir()
    (base / "outside" / "canary.txt").write_text(SECRET)
    (tmp_path / "secret.txt").write_text(SECRET)
    (base / "docs" / "ok.txt").write_text("inside the root")
    docs = base / "docs"
    os.symlink("../outside", docs / "link_out")
    os.symlink("../outside/canary.txt", docs / "link_file")
    os.symlink("..", docs / "sub" / "link_up")
    os.symlink(base / "outside", docs / "abs_link")
    os.symlink("/etc", docs / "etc_link")
    os.symlink("loop", docs / "loop")
    return base


def policy(*roots: tuple[str, str]) -> dict[str, object]:
    scope = {"roots": [{"path": p, "mode": m} for p, m in roots]}
    return {"allowed_tools": FILE_TOOLS, "tool_scopes": {t: scope for t in FILE_TOOLS}}


def snapshot(top: Path, skip: Path) -> dict[str, str]:
    """Everything under `top` but `skip`, without following links."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        here = Path(dirpath)
        if here == skip or skip in here.parents:
            continue
        for name in dirnames + filenames:
            path = here / name
            rel = str(path.relative_to(top))
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[rel] = "dir"
    return found


def _fill(template: str, base: Path) -> str:
    return template.replace("{OUT}", str(base / "outside")).replace("{BASE}", str(base))


@pytest.mark.parametrize("template", PATHS)
def test_attack_touches_nothing_outside_the_root(template: str, base: Path) -> None:
    path = _fill(template, base)
    before = snapshot(base.parent, base / "docs")
    h = Harness(base, policy(("docs", "write")))
    read = h.call("file_read", {"path": path})
    listed = h.call("file_list", {"path": path})
    written = h.call("file_write", {"path": path, "content": "PWNED"})
    for outcome in (read, listed, written):
        assert outcome.status in ("refused", "error", "invalid"), (path, outcome)
        assert SECRET not in repr(outcome), path
    assert snapshot(base.parent, base / "docs") == before
    assert not any(
        "PWNED" in p.read_text()
        for p in base.parent.rglob("*")
        if p.is_file() and not p.is_symlink()
    )
    assert len(h.store.audit_entries()) >= 3


def test_granted_paths_work(base: Path) -> None:
    h = Harness(base, policy(("docs", "write")))
    assert h.call("file_read", {"path": "docs/ok.txt"}).result["content"] == "inside the root"
    wrote = h.call("file_write", {"path": "docs/new/note.md", "content": "hello"})
    assert wrote.ok and wrote.result == {"path": "docs/new/note.md", "bytes": 5, "created": True}
    assert (base / "docs" / "new" / "note.md").read_text() == "hello"
    again = h.call("file_write", {"path": "docs/new/note.md", "content": "hello again"})
    assert again.ok and again.result["created"] is False
    assert (base / "docs" / "new" / "note.md").read_text() == "hello again"
    exclusive = h.call("file_write", {"path": "docs/new/note.md", "content": "x", "mode": "create"})
    assert exclusive.status == "error" and "exists" in exclusive.message
    listing = h.call("file_list", {"path": "docs"}).result["entries"]
    kinds = {e["name"]: e["type"] for e in listing}
    assert kinds["ok.txt"] == "file" and kinds["new"] == "dir" and kinds["link_out"] == "symlink"
    assert not [p for p in (base / "docs" / "new").iterdir() if p.name.endswith(".tmp")]


def test_absolute_path_inside_a_granted_root(base: Path) -> None:
    h = Harness(base, policy(("docs", "read"), ("outside", "read")))
    outcome = h.call("file_read", {"path": str(base / "outside" / "canary.txt")})
    assert outcome.ok and outcome.result["content"] == SECRET


def test_read_only_root_refuses_writes(base: Path) -> None:
    h = Harness(base, policy(("docs", "read")))
    outcome = h.call("file_write", {"path": "docs/ok.txt", "content": "changed"})
    assert outcome.status == "refused" and "read-only" in outcome.message
    assert (base / "docs" / "ok.txt").read_text() == "inside the root"


def test_size_limits(base: Path) -> None:
    scope = {"roots": [{"path": "docs", "mode": "write"}], "max_bytes": 8}
    h = Harness(base, {"allowed_tools": FILE_TOOLS, "tool_scopes": {t: scope for t in FILE_TOOLS}})
    read = h.call("file_read", {"path": "docs/ok.txt"})
    assert read.ok and read.result["content"] == "inside t" and read.result["truncated"]
    big = h.call("file_write", {"path": "docs/big.txt", "content": "x" * 9})
    assert big.status == "refused" and not (base / "docs" / "big.txt").exists()


def test_fifo_is_not_read(base: Path) -> None:
    os.mkfifo(base / "docs" / "pipe")
    h = Harness(base, policy(("docs", "read")))
    outcome = h.call("file_read", {"path": "docs/pipe"})
    assert outcome.status == "refused" and "regular file" in outcome.message
