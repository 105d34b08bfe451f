"""The `knowledge_search` tool: BM25 search (SQLite FTS5) over local document folders named
in scope. Passages carry their source path and location (lines, or page for PDFs) for
citation; the index is cached in the data dir, keyed by the folder and its files' mtimes."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from engine.tools.base import Scope, Tool, ToolCall
from engine.tools.errors import ToolError, ToolRefused

log = logging.getLogger(__name__)

SUFFIXES = frozenset(
    {".md", ".txt", ".markdown", ".rst", ".pdf", ".py", ".js", ".ts", ".go", ".rs", ".java",
     ".c", ".h", ".cpp", ".toml", ".yaml", ".yml", ".json", ".sql", ".sh"}
)  # fmt: skip
"""Text and source files are indexed; binaries never are."""
MAX_FILE_BYTES = 5_000_000
PASSAGE_CHARS = 700
MIN_PASSAGE_CHARS = 80
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class KnowledgeScope(Scope):
    folders: list[str] = Field(
        default_factory=list, description="Document folders, relative to the workflow file."
    )
    max_results: int = Field(default=5, ge=1, le=50)

    def narrow(self, requested: KnowledgeScope) -> KnowledgeScope:
        granted = {os.path.normpath(f) for f in self.folders}
        return KnowledgeScope(
            folders=[f for f in requested.folders if os.path.normpath(f) in granted],
            max_results=min(self.max_results, requested.max_results),
        )


def _documents(folder: Path) -> list[Path]:
    """Regular files with a known suffix under `folder`, never through symlinks."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if (
                path.suffix.lower() in SUFFIXES
                and not path.is_symlink()
                and path.is_file()
                and path.stat().st_size <= MAX_FILE_BYTES
            ):
                found.append(path)
    return found


def _text_passages(text: str) -> Iterator[tuple[str, int, int]]:
    """(text, first line, last line) per paragraph; a short paragraph (a heading) joins the
    next one and a long one is cut at about PASSAGE_CHARS."""
    chunk: list[str] = []
    start = 0
    lines = text.splitlines()
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip():
            if not chunk:
                start = number
            chunk.append(line)
        size = sum(map(len, chunk))
        paragraph_end = not line.strip() and size >= MIN_PASSAGE_CHARS
        if chunk and (paragraph_end or size >= PASSAGE_CHARS or number > len(lines)):
            yield "\n".join(chunk).strip(), start, number - (0 if line.strip() else 1)
            chunk = []


def _passages(path: Path) -> Iterator[tuple[str, int | None, int | None, int | None]]:
    """(text, first line, last line, page) of every passage in a document."""
    if path.suffix.lower() == ".pdf":
        try:
            from pypdf import PdfReader
        except ImportError:
            log.info("pypdf is not installed; skipping %s", path.name)
            return
        try:
            for page_no, page in enumerate(PdfReader(path).pages, start=1):
                for text, _a, _b in _text_passages(page.extract_text() or ""):
                    yield text, None, None, page_no
        except Exception as exc:  # a broken PDF must not break the search
            log.warning("cannot read %s: %s", path.name, exc)
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    for chunk, first, last in _text_passages(text):
        yield chunk, first, last, None


def _fingerprint(folder: Path, files: list[Path]) -> str:
    digest = hashlib.sha256(str(folder).encode())
    for path in files:
        info = path.stat()
        digest.update(f"\0{path.relative_to(folder)}\0{info.st_mtime_ns}\0{info.st_size}".encode())
    return digest.hexdigest()[:32]


def index_dir(data_dir: Path | None) -> Path:
    if data_dir is None:
        from engine.store import default_db_path

        data_dir = default_db_path().parent
    return data_dir / "knowledge"


def build_index(folder: Path, data_dir: Path | None) -> Path:
    """The FTS5 index of `folder`, built unless one for its current files exists."""
    files = _documents(folder)
    key = _fingerprint(folder, files)
    prefix = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    where = index_dir(data_dir)
    where.mkdir(parents=True, exist_ok=True)
    target = where / f"{prefix}-{key}.db"
    if target.is_file():
        return target
    # One temp file per build: two runs (or evaluation rows) may index the same folder at once.
    temp = target.with_suffix(f".{os.getpid()}-{secrets.token_hex(4)}.tmp")
    db = sqlite3.connect(temp)
    try:
        db.execute(
            "CREATE VIRTUAL TABLE passages USING fts5(text, source UNINDEXED, "
            "first_line UNINDEXED, last_line UNINDEXED, page UNINDEXED, tokenize='porter')"
        )
        for path in files:
            rel = str(path.relative_to(folder))
            db.executemany(
                "INSERT INTO passages VALUES (?, ?, ?, ?, ?)",
                ((text, rel, a, b, page) for text, a, b, page in _passages(path)),
            )
        db.commit()
    except BaseException:
        db.close()
        temp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(temp, target)
    for stale in where.glob(f"{prefix}-*.db"):
        if stale != target:
            stale.unlink(missing_ok=True)
    log.debug("indexed %d documents of %s", len(files), folder)
    return target


def _match(query: str) -> str:
    words = [w for w in _WORD.findall(query.lower()) if len(w) > 1][:32]
    return " OR ".join(f'"{w}"' for w in words)


def search(index: Path, query: str, limit: int) -> list[dict[str, Any]]:
    match = _match(query)
    if not match:
        return []
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT text, source, first_line, last_line, page, bm25(passages) AS score "
            "FROM passages WHERE passages MATCH ? ORDER BY score LIMIT ?",
            (match, limit),
        ).fetchall()
    finally:
        db.close()
    results = []
    for text, source, first, last, page in (r[:5] for r in rows):
        location = f"page {page}" if page is not None else f"lines {first}-{last}"
        results.append({"source": source, "location": location, "text": text})
    return results


def _folders(call: ToolCall[KnowledgeScope], wanted: str | None) -> list[tuple[str, Path]]:
    folders = call.scope.folders
    if wanted is not None:
        if os.path.normpath(wanted) not in {os.path.normpath(f) for f in folders}:
            raise ToolRefused(f"folder {wanted!r} is not granted")
        folders = [wanted]
    if not folders:
        raise ToolRefused("no document folder is granted")
    resolved = []
    for name in folders:
        path = Path(os.path.realpath(call.base_dir / name))
        if not path.is_dir():
            raise ToolError(f"document folder {name!r} does not exist")
        resolved.append((name, path))
    return resolved


def _run(call: ToolCall[KnowledgeScope], args: dict[str, Any]) -> dict[str, Any]:
    limit = min(int(args.get("limit") or call.scope.max_results), call.scope.max_results)
    found: list[dict[str, Any]] = []
    for name, folder in _folders(call, args.get("folder")):
        for hit in search(build_index(folder, call.data_dir), args["query"], limit):
            hit["source"] = f"{name.rstrip('/')}/{hit['source']}"
            found.append(hit)
    return {"query": args["query"], "passages": found[:limit]}


async def knowledge_search(call: ToolCall[KnowledgeScope], args: dict[str, Any]) -> dict[str, Any]:
    return await asyncio.to_thread(_run, call, args)


KNOWLEDGE_SEARCH = Tool(
    name="knowledge_search",
    description="Search local documents; returns passages with their source and location.",
    arguments={
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": 1000},
            "folder": {"type": "string"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
        },
        "required": ["query"],
        "additionalProperties": False,
    },
    result={
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "passages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "source": {"type": "string"},
                        "location": {"type": "string"},
                        "text": {"type": "string"},
                    },
                    "required": ["source", "location", "text"],
                },
            },
        },
        "required": ["query", "passages"],
    },
    side_effect="read",
    scope=KnowledgeScope,
    handler=knowledge_search,
)
