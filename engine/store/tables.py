"""SQLModel tables of the run store; `migrations/versions` must create exactly these.

JSON values are TEXT columns (`*_json`) so the schema ports to PostgreSQL unchanged;
timestamps are epoch seconds (floats), like `RunEvent.ts`.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table, Text
from sqlmodel import Field, SQLModel

METADATA = MetaData()
"""The store's own metadata, kept apart from `SQLModel.metadata` so that tables defined
elsewhere never leak into the store's migrations or schema checks."""


class StoreModel(SQLModel):
    metadata = METADATA


class WorkflowRow(StoreModel, table=True):
    __tablename__ = "workflows"

    hash: str = Field(primary_key=True)
    name: str
    content: str = Field(sa_type=Text)
    path: str | None = None
    created_at: float


class RunRow(StoreModel, table=True):
    __tablename__ = "runs"

    run_id: str = Field(primary_key=True)
    workflow_hash: str = Field(index=True)
    workflow_name: str
    workflow_path: str | None = None
    status: str
    started_at: float = Field(index=True)
    finished_at: float | None = None
    inputs_json: str = Field(sa_type=Text)
    outputs_json: str = Field(sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    parent_run_id: str | None = None


_CLUSTERED = {"sqlite_with_rowid": False}
"""Tables keyed by a composite primary key are stored clustered on it in SQLite (WITHOUT
ROWID): the hot append path then dirties one b-tree per table instead of two."""


class NodeAttemptRow(StoreModel, table=True):
    __tablename__ = "node_attempts"
    __table_args__ = _CLUSTERED

    run_id: str = Field(primary_key=True, foreign_key="runs.run_id", ondelete="CASCADE")
    node_id: str = Field(primary_key=True)
    attempt: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str
    status: str
    inputs_json: str = Field(sa_type=Text)
    outputs_json: str = Field(sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)
    error_class: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    model: str | None = None
    provider: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class EventRow(StoreModel, table=True):
    __tablename__ = "events"
    __table_args__ = _CLUSTERED

    run_id: str = Field(primary_key=True, foreign_key="runs.run_id", ondelete="CASCADE")
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    type: str
    node_id: str | None = None
    ts: float
    data_json: str = Field(sa_type=Text)


class CacheEntryRow(StoreModel, table=True):
    __tablename__ = "cache_entries"

    key: str = Field(primary_key=True)
    node_kind: str
    outputs_json: str = Field(sa_type=Text)
    created_at: float
    hits: int = 0


class ApprovalRow(StoreModel, table=True):
    """The approvals mailbox: a waiting run writes requests, a person's decision lands here."""

    __tablename__ = "approvals"

    request_id: str = Field(primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.run_id", ondelete="CASCADE")
    node_id: str
    status: str = Field(index=True)
    request_json: str = Field(sa_type=Text)
    decision_json: str | None = Field(default=None, sa_type=Text)
    created_at: float
    decided_at: float | None = None


class AuditRow(StoreModel, table=True):
    """One audit entry; `seq` is its place in the hash chain (see `engine.audit.chain`)."""

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ts: float
    run_id: str | None = Field(default=None, index=True)
    node_id: str | None = None
    tool: str | None = None
    model: str | None = None
    user: str | None = None
    action: str
    outcome: str
    arguments_json: str = Field(sa_type=Text)
    detail_json: str = Field(sa_type=Text)
    prev_hash: str
    hash: str


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


WORKFLOWS = _table(WorkflowRow)
RUNS = _table(RunRow)
NODE_ATTEMPTS = _table(NodeAttemptRow)
EVENTS = _table(EventRow)
CACHE_ENTRIES = _table(CacheEntryRow)
AUDIT_LOG = _table(AuditRow)
APPROVALS = _table(ApprovalRow)

__all__ = [
    "APPROVALS",
    "AUDIT_LOG",
    "CACHE_ENTRIES",
    "EVENTS",
    "METADATA",
    "NODE_ATTEMPTS",
    "RUNS",
    "WORKFLOWS",
    "ApprovalRow",
    "AuditRow",
    "CacheEntryRow",
    "EventRow",
    "NodeAttemptRow",
    "RunRow",
    "WorkflowRow",
]
