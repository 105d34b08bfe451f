"""`SqliteRunStore`: the embedded default run store, one SQLite file in WAL mode.

Writes run SQLAlchemy Core statements, compiled once, on one long-lived driver connection
in `BEGIN IMMEDIATE` transactions (executemany); reads use short-lived pooled connections.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, literal_column, select, update
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.expression import ClauseElement

from engine.approvals.model import ApprovalDecision, ApprovalRecord, ApprovalRequest
from engine.audit.chain import GENESIS, AuditEntry, seal
from engine.store import approvals as approval_rows
from engine.store import derive
from engine.store.audit import audit_entry, audit_row
from engine.store.errors import DuplicateEventError, StoreError
from engine.store.leases import Alive, Lease, may_take
from engine.store.protocol import AttemptRecord, CacheHit, RunRecord, WorkflowVersion
from engine.store.rows import (
    Row,
    attempt_record,
    cache_row,
    load_json,
    run_record,
    workflow_row,
    workflow_version,
)
from engine.store.schema import create_sqlite_engine, ensure_schema
from engine.store.sqlite_evals import SqliteEvaluations
from engine.store.tables import (
    APPROVALS,
    AUDIT_LOG,
    CACHE_ENTRIES,
    EVENTS,
    NODE_ATTEMPTS,
    RUNS,
    WORKFLOWS,
)
from engine.trace.events import RunEvent

log = logging.getLogger(__name__)

_ATTEMPT_KEY = [NODE_ATTEMPTS.c.run_id, NODE_ATTEMPTS.c.node_id, NODE_ATTEMPTS.c.attempt]
_DIALECT = sqlite_dialect(paramstyle="named")


def _upsert_attempt(columns: Sequence[str]) -> ClauseElement:
    stmt = sqlite_insert(NODE_ATTEMPTS)
    return stmt.on_conflict_do_update(
        index_elements=_ATTEMPT_KEY,
        set_={name: stmt.excluded[name] for name in columns},
    )


def _put_cache() -> ClauseElement:
    stmt = sqlite_insert(CACHE_ENTRIES)
    columns = ("node_kind", "outputs_json", "created_at", "hits", "run_id")
    return stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={name: stmt.excluded[name] for name in columns},
    )


_STATEMENTS: dict[str, ClauseElement] = {
    "insert_run": insert(RUNS),
    "resume_run": update(RUNS).where(RUNS.c.run_id == bindparam("run_id")),
    "interrupt_attempts": update(NODE_ATTEMPTS)
    .where(
        NODE_ATTEMPTS.c.run_id == bindparam("run_id"),
        NODE_ATTEMPTS.c.status == literal_column("'running'"),
    )
    .values(status=literal_column("'interrupted'")),
    "finish_run": update(RUNS).where(RUNS.c.run_id == bindparam("run_id")),
    "start_attempt": _upsert_attempt([c.name for c in NODE_ATTEMPTS.c if not c.primary_key]),
    "finish_attempt": _upsert_attempt(derive.FINISH_COLUMNS),
    "append_attempt": insert(NODE_ATTEMPTS),
    "insert_event": insert(EVENTS),
    "save_workflow": sqlite_insert(WORKFLOWS).on_conflict_do_nothing(index_elements=["hash"]),
    "cache_put": _put_cache(),
    "cache_get": update(CACHE_ENTRIES)
    .where(CACHE_ENTRIES.c.key == bindparam("key"))
    .values(hits=CACHE_ENTRIES.c.hits + literal_column("1"))
    .returning(CACHE_ENTRIES.c.outputs_json, CACHE_ENTRIES.c.run_id),
    "max_attempt": select(func.max(NODE_ATTEMPTS.c.attempt)).where(
        NODE_ATTEMPTS.c.run_id == bindparam("run_id"),
        NODE_ATTEMPTS.c.node_id == bindparam("node_id"),
    ),
    "put_approval": sqlite_insert(APPROVALS).on_conflict_do_nothing(index_elements=["request_id"]),
    "decide_approval": update(APPROVALS).where(
        APPROVALS.c.request_id == bindparam("request_id"),
        APPROVALS.c.status == literal_column("'pending'"),
    ),
    "workflow_path": select(WORKFLOWS.c.path).where(WORKFLOWS.c.hash == bindparam("hash")),
}


@functools.cache
def _sql(name: str, keys: tuple[str, ...] = ()) -> str:
    """SQL text of a Core statement, compiled once for the sqlite3 driver (named params);
    `keys` are the columns an INSERT/UPDATE sets (the rest of a row dict is ignored)."""
    statement = _STATEMENTS[name]
    where_keys = {"resume_run": "run_id", "finish_run": "run_id", "decide_approval": "request_id"}
    set_keys = [key for key in keys if key != where_keys.get(name)]
    return str(statement.compile(dialect=_DIALECT, column_keys=set_keys or None))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig)
    return str(exc)


class SqliteRunStore(SqliteEvaluations):
    """A `RunStore` and `EvaluationStore` in one SQLite file; safe to share between
    threads and processes."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._closed = False
        self._raw: PoolProxiedConnection | None = None
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._engine = create_sqlite_engine(self.path, busy_timeout_s)
        except (OSError, SQLAlchemyError) as exc:
            raise StoreError(f"cannot open run store {self.path}: {_reason(exc)}") from exc
        try:
            ensure_schema(self._engine, self.path)
            self._raw = self._engine.raw_connection()
            self._db = self._raw.driver_connection
        except StoreError:
            self._engine.dispose()
            raise
        except (OSError, SQLAlchemyError, sqlite3.Error) as exc:
            self._engine.dispose()
            raise StoreError(f"cannot open run store {self.path}: {_reason(exc)}") from exc
        log.debug("opened run store %s", self.path)

    def __repr__(self) -> str:
        return f"SqliteRunStore({str(self.path)!r})"

    def __enter__(self) -> SqliteRunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _writing(self, action: str) -> Iterator[sqlite3.Connection]:
        """The writer's driver connection inside one BEGIN IMMEDIATE transaction, rolled
        back on any error; driver errors come out as StoreError."""
        with self._lock:
            db = self._db
            if db is None:
                raise StoreError(f"run store {self.path} is closed")
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    log.debug("run store %s: rolled back %s", self.path, action)
                    raise
                db.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                raise self._integrity_error(exc) from exc
            except sqlite3.Error as exc:
                raise StoreError(f"run store {self.path}: {action}: {exc}") from exc

    @contextmanager
    def _reading(self, action: str) -> Iterator[Connection]:
        if self._closed:
            raise StoreError(f"run store {self.path} is closed")
        try:
            with self._engine.connect() as connection:
                yield connection
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(f"run store {self.path}: {action}: {_reason(exc)}") from exc

    def _integrity_error(self, exc: sqlite3.IntegrityError) -> StoreError:
        reason = str(exc)
        if "events.run_id, events.seq" in reason:
            return DuplicateEventError(f"run store {self.path}: event seq already stored")
        if "runs.run_id" in reason:
            return StoreError(f"run store {self.path}: run already exists ({reason})")
        if "FOREIGN KEY" in reason:
            return StoreError(
                f"run store {self.path}: events for a run that was never started ({reason})"
            )
        return StoreError(f"run store {self.path}: {reason}")

    # ---- workflows ----------------------------------------------------------------------

    def save_workflow(self, version: WorkflowVersion) -> None:
        row = workflow_row(version, time.time())
        with self._writing("save workflow") as db:
            db.execute(_sql("save_workflow", tuple(row)), row)

    def get_workflow(self, workflow_hash: str) -> WorkflowVersion | None:
        with self._reading("get workflow") as connection:
            query = select(WORKFLOWS).where(WORKFLOWS.c.hash == workflow_hash)
            row = connection.execute(query).mappings().first()
        return workflow_version(row) if row is not None else None

    # ---- events and derived rows ----------------------------------------------------------

    def append_events(self, events: Sequence[RunEvent]) -> None:
        ops, rows = derive.plan(events)
        if not rows:
            return
        with self._writing("append events") as db:
            for kind, group in groupby(ops, key=lambda op: op.kind):
                _apply(db, kind, [op.values for op in group])
            db.executemany(_sql("insert_event", tuple(rows[0])), rows)

    # ---- reads ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._reading("get run") as connection:
            row = connection.execute(select(RUNS).where(RUNS.c.run_id == run_id)).mappings().first()
        return run_record(row) if row is not None else None

    def child_runs(self, run_id: str) -> list[RunRecord]:
        query = (
            select(RUNS)
            .where(RUNS.c.parent_run_id == run_id)
            .order_by(RUNS.c.started_at, RUNS.c.run_id)
        )
        with self._reading("list child runs") as connection:
            rows = connection.execute(query).mappings().all()
        return [run_record(row) for row in rows]

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        query = (
            select(RUNS)
            .order_by(RUNS.c.started_at.desc(), RUNS.c.run_id.desc())
            .limit(max(limit, 0))
        )
        with self._reading("list runs") as connection:
            rows = connection.execute(query).mappings().all()
        return [run_record(row) for row in rows]

    def events(self, run_id: str, after_seq: int = 0) -> list[RunEvent]:
        query = (
            select(EVENTS)
            .where(EVENTS.c.run_id == run_id, EVENTS.c.seq > after_seq)
            .order_by(EVENTS.c.seq)
        )
        with self._reading("read events") as connection:
            rows = connection.execute(query).mappings().all()
        return [derive.row_event(row) for row in rows]

    def attempts(self, run_id: str) -> list[AttemptRecord]:
        query = (
            select(NODE_ATTEMPTS)
            .where(NODE_ATTEMPTS.c.run_id == run_id)
            .order_by(NODE_ATTEMPTS.c.started_at, NODE_ATTEMPTS.c.node_id, NODE_ATTEMPTS.c.attempt)
        )
        with self._reading("read attempts") as connection:
            rows = connection.execute(query).mappings().all()
        return [attempt_record(row) for row in rows]

    # ---- leases ---------------------------------------------------------------------------

    def take_lease(self, claimant: Lease, now: float, alive: Alive) -> Lease | None:
        with self._writing("take run lease") as db:  # BEGIN IMMEDIATE: read and write as one
            row = db.execute(
                "SELECT run_id, owner, host, pid, expires_at FROM run_leases WHERE run_id = ?",
                (claimant.run_id,),
            ).fetchone()
            holder = Lease(*row) if row is not None else None
            if not may_take(holder, claimant, now, alive):
                return holder
            db.execute(
                "INSERT OR REPLACE INTO run_leases (run_id, owner, host, pid, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (claimant.run_id, claimant.owner, claimant.host, claimant.pid, claimant.expires_at),
            )
        return None

    def renew_lease(self, lease: Lease) -> bool:
        with self._writing("renew run lease") as db:
            done = db.execute(
                "UPDATE run_leases SET expires_at = ? WHERE run_id = ? AND owner = ?",
                (lease.expires_at, lease.run_id, lease.owner),
            )
            return done.rowcount == 1

    def release_lease(self, run_id: str, owner: str) -> None:
        with self._writing("release run lease") as db:
            db.execute("DELETE FROM run_leases WHERE run_id = ? AND owner = ?", (run_id, owner))

    # ---- result cache -----------------------------------------------------------------

    def cache_get(self, key: str) -> CacheHit | None:
        with self._writing("read cache") as db:
            row = db.execute(_sql("cache_get"), {"key": key}).fetchone()
        return CacheHit(load_json(row[0]), row[1]) if row is not None else None

    def cache_put(
        self, key: str, node_kind: str, outputs: dict[str, Any], run_id: str | None = None
    ) -> None:
        row = cache_row(key, node_kind, outputs, time.time(), run_id)
        with self._writing("write cache") as db:
            db.execute(_sql("cache_put", tuple(row)), row)

    def cache_clear(self) -> int:
        with self._writing("clear cache") as db:
            return int(db.execute("DELETE FROM cache_entries").rowcount)

    # ---- approvals mailbox ----------------------------------------------------------------

    def put_approval(self, request: ApprovalRequest) -> ApprovalRecord:
        row = approval_rows.request_row(request)
        with self._writing("put approval") as db:
            db.execute(_sql("put_approval", tuple(row)), row)
        found = self.get_approval(request.request_id)
        assert found is not None
        return found

    def get_approval(self, request_id: str) -> ApprovalRecord | None:
        query = select(APPROVALS).where(APPROVALS.c.request_id == request_id)
        with self._reading("get approval") as connection:
            row = connection.execute(query).mappings().first()
        return approval_rows.record(row) if row is not None else None

    def list_approvals(
        self, status: str | None = "pending", run_id: str | None = None
    ) -> list[ApprovalRecord]:
        query = select(APPROVALS).order_by(APPROVALS.c.created_at, APPROVALS.c.request_id)
        if status is not None:
            query = query.where(APPROVALS.c.status == status)
        if run_id is not None:
            query = query.where(APPROVALS.c.run_id == run_id)
        with self._reading("list approvals") as connection:
            rows = connection.execute(query).mappings().all()
        return [approval_rows.record(row) for row in rows]

    def decide_approval(self, request_id: str, decision: ApprovalDecision) -> ApprovalRecord:
        values = {**approval_rows.decision_values(decision), "request_id": request_id}
        with self._writing("decide approval") as db:
            done = db.execute(_sql("decide_approval", tuple(values)), values)
            if done.rowcount != 1:
                approval_rows.check_decidable(request_id, self.get_approval(request_id))
        found = self.get_approval(request_id)
        assert found is not None
        return found

    # ---- audit trail -------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> AuditEntry:
        with self._writing("append audit entry") as db:
            last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            head = last.fetchone()
            sealed = seal(entry, head[0] + 1 if head else 1, head[1] if head else GENESIS)
            row = audit_row(sealed)
            db.execute(str(insert(AUDIT_LOG).compile(dialect=_DIALECT, column_keys=list(row))), row)
        return sealed

    def audit_entries(self, after_seq: int = 0) -> list[AuditEntry]:
        query = select(AUDIT_LOG).where(AUDIT_LOG.c.seq > after_seq).order_by(AUDIT_LOG.c.seq)
        with self._reading("read audit trail") as connection:
            rows = connection.execute(query).mappings().all()
        return [audit_entry(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._raw is not None:
                self._raw.close()
            self._raw = self._db = None
            self._engine.dispose()
            log.debug("closed run store %s", self.path)


def _apply(db: sqlite3.Connection, kind: str, rows: list[Row]) -> None:
    """Apply consecutive row ops of one kind (see `derive.RowOp`) inside the open transaction."""
    if kind in ("insert_run", "append_attempt"):
        rows = [dict(row) for row in rows]
    if kind == "insert_run":
        for row in rows:
            if row["workflow_path"] is None:
                found = db.execute(_sql("workflow_path"), {"hash": row["workflow_hash"]})
                path = found.fetchone()
                row["workflow_path"] = path[0] if path is not None else None
    elif kind == "append_attempt":  # one at a time: each must see the attempts before it
        for row in rows:
            latest = db.execute(_sql("max_attempt"), row).fetchone()[0]
            row["attempt"] = (latest or 0) + 1
            db.execute(_sql(kind, tuple(row)), row)
        return
    db.executemany(_sql(kind, tuple(rows[0])), rows)
    if kind == "resume_run":
        db.executemany(_sql("interrupt_attempts"), [{"run_id": row["run_id"]} for row in rows])
