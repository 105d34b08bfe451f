"""The SQL tools: `sql_query` on SQLite databases named in scope, opened read-only
(`mode=ro` URI, query_only, an authorizer that allows reads only), with row and time
limits; `sql_execute` is the separate, write-class tool with its own scope."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import Field

from engine.tools.base import Scope, Tool, ToolCall
from engine.tools.errors import ToolError, ToolRefused

_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
_NEVER = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_PRAGMA})
_MAX_ROWS = 10_000


class SqlScope(Scope):
    databases: dict[str, str] = Field(
        default_factory=dict, description="Database name -> SQLite file (relative to the workflow)."
    )
    max_rows: int = Field(default=500, ge=1, le=_MAX_ROWS)
    timeout_s: float = Field(default=5.0, gt=0, le=300)

    def narrow(self, requested: SqlScope) -> SqlScope:
        return SqlScope(
            databases={
                name: path
                for name, path in requested.databases.items()
                if name in self.databases and _same(self.databases[name], path)
            },
            max_rows=min(self.max_rows, requested.max_rows),
            timeout_s=min(self.timeout_s, requested.timeout_s),
        )


def _same(a: str, b: str) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)


def _database(call: ToolCall[SqlScope], name: str) -> Path:
    path = call.scope.databases.get(name)
    if path is None:
        known = ", ".join(sorted(call.scope.databases)) or "none"
        raise ToolRefused(f"database {name!r} is not granted (granted: {known})")
    full = Path(os.path.realpath(call.base_dir / path))
    if not full.is_file():
        raise ToolError(f"database {name!r} does not exist")
    return full


def _authorizer(write: bool) -> Any:
    def authorize(action: int, *_args: Any) -> int:
        if action in _NEVER:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK if write or action in _READ_ACTIONS else sqlite3.SQLITE_DENY

    return authorize


def _run(
    path: Path, write: bool, sql: str, params: Any, max_rows: int, timeout_s: float
) -> dict[str, Any]:
    mode = "rw" if write else "ro"
    db = sqlite3.connect(f"file:{quote(str(path))}?mode={mode}", uri=True, timeout=timeout_s)
    deadline = time.monotonic() + timeout_s
    try:
        if not write:
            db.execute("PRAGMA query_only = ON")
        db.set_authorizer(_authorizer(write))
        db.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        cursor = db.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        rows = [list(r) for r in cursor.fetchmany(max_rows + 1)] if columns else []
        if write:
            db.commit()
        return {
            "columns": columns,
            "rows": [[_plain(v) for v in row] for row in rows[:max_rows]],
            "truncated": len(rows) > max_rows,
            "changes": db.total_changes if write else 0,
        }
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise ToolError(f"query ran longer than {timeout_s}s", error_class="timeout") from None
        if "not authorized" in str(exc) or "readonly" in str(exc):
            raise ToolRefused(f"statement not allowed: {exc}") from None
        raise ToolError(f"SQL error: {exc}") from None
    except sqlite3.Error as exc:
        raise ToolError(f"SQL error: {exc}") from None
    finally:
        db.close()


def _plain(value: Any) -> Any:
    return f"<{len(value)} bytes>" if isinstance(value, bytes) else value


async def _call(call: ToolCall[SqlScope], args: dict[str, Any], write: bool) -> dict[str, Any]:
    path = _database(call, args["database"])
    params = args.get("params") or []
    return await asyncio.to_thread(
        _run, path, write, args["sql"], params, call.scope.max_rows, call.scope.timeout_s
    )


async def sql_query(call: ToolCall[SqlScope], args: dict[str, Any]) -> dict[str, Any]:
    return await _call(call, args, write=False)


async def sql_execute(call: ToolCall[SqlScope], args: dict[str, Any]) -> dict[str, Any]:
    return await _call(call, args, write=True)


_ARGS = {
    "type": "object",
    "properties": {
        "database": {"type": "string", "minLength": 1},
        "sql": {"type": "string", "minLength": 1, "maxLength": 100_000},
        "params": {
            "type": ["array", "object"],
            "description": "Values for ? or :name placeholders.",
        },
    },
    "required": ["database", "sql"],
    "additionalProperties": False,
}
_RESULT = {
    "type": "object",
    "properties": {
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": {"type": "array"}},
        "truncated": {"type": "boolean"},
        "changes": {"type": "integer"},
    },
    "required": ["columns", "rows", "truncated", "changes"],
}
SQL_QUERY = Tool(
    name="sql_query",
    description="Run a read-only SQL query on a granted SQLite database.",
    arguments=_ARGS,
    result=_RESULT,
    side_effect="read",
    scope=SqlScope,
    handler=sql_query,
)
SQL_EXECUTE = Tool(
    name="sql_execute",
    description="Run a writing SQL statement on a granted SQLite database.",
    arguments=_ARGS,
    result=_RESULT,
    side_effect="write",
    scope=SqlScope,
    handler=sql_execute,
    idempotent=True,
)
