"""SQLModel tables of the run store; `migrations/versions` must create exactly these.

JSON values are TEXT columns (`*_json`) so the schema ports to PostgreSQL unchanged;
timestamps are epoch seconds (floats), like `RunEvent.ts`.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table, Text, false
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
    parent_run_id: str | None = Field(default=None, index=True)


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
    fallback: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class RunLeaseRow(StoreModel, table=True):
    """Which process owns a run now (see `engine.store.leases`)."""

    __tablename__ = "run_leases"

    run_id: str = Field(primary_key=True)
    owner: str
    host: str
    pid: int
    expires_at: float


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
    run_id: str | None = None
    """The run whose node computed this result."""


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


class DatasetRow(StoreModel, table=True):
    """A named version of a dataset; its rows live in `dataset_examples` by content hash."""

    __tablename__ = "datasets"

    name: str = Field(primary_key=True)
    hash: str = Field(primary_key=True)
    row_count: int
    created_at: float = Field(index=True)
    source: str | None = Field(default=None, sa_type=Text)


class DatasetExampleRow(StoreModel, table=True):
    """One example of a dataset version (shared by every name with the same content)."""

    __tablename__ = "dataset_examples"
    __table_args__ = _CLUSTERED

    dataset_hash: str = Field(primary_key=True)
    idx: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    line: int = 0
    content_json: str = Field(sa_type=Text)


class EvaluationRow(StoreModel, table=True):
    """One evaluation of a workflow over a dataset version."""

    __tablename__ = "evaluations"

    eval_id: str = Field(primary_key=True)
    name: str
    workflow_hash: str
    dataset_hash: str = Field(index=True)
    dataset_name: str
    status: str
    started_at: float = Field(index=True)
    finished_at: float | None = None
    spec_json: str = Field(sa_type=Text)
    eval_path: str | None = Field(default=None, sa_type=Text)
    parent_eval_id: str | None = None
    rows_json: str | None = Field(default=None, sa_type=Text)


class EvalResultRow(StoreModel, table=True):
    """One (variant, row, repeat) of an evaluation, written once it is scored."""

    __tablename__ = "eval_results"
    __table_args__ = _CLUSTERED

    eval_id: str = Field(primary_key=True, foreign_key="evaluations.eval_id", ondelete="CASCADE")
    variant: str = Field(primary_key=True)
    row_index: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    repeat: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    run_id: str | None = None
    run_status: str
    outputs_json: str = Field(sa_type=Text)
    scores_json: str = Field(sa_type=Text)
    passed: bool
    cost_usd: float = 0.0
    tokens: int = 0
    model_calls: int = 0
    remote_calls: int = 0
    latency_s: float = 0.0
    scoring_cost_usd: float = 0.0
    error: str | None = Field(default=None, sa_type=Text)
    finished_at: float


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


WORKFLOWS = _table(WorkflowRow)
RUNS = _table(RunRow)
NODE_ATTEMPTS = _table(NodeAttemptRow)
EVENTS = _table(EventRow)
RUN_LEASES = _table(RunLeaseRow)
CACHE_ENTRIES = _table(CacheEntryRow)
AUDIT_LOG = _table(AuditRow)
APPROVALS = _table(ApprovalRow)
DATASETS = _table(DatasetRow)
DATASET_EXAMPLES = _table(DatasetExampleRow)
EVALUATIONS = _table(EvaluationRow)
EVAL_RESULTS = _table(EvalResultRow)

__all__ = [
    "APPROVALS",
    "AUDIT_LOG",
    "CACHE_ENTRIES",
    "DATASETS",
    "DATASET_EXAMPLES",
    "EVALUATIONS",
    "EVAL_RESULTS",
    "EVENTS",
    "METADATA",
    "NODE_ATTEMPTS",
    "RUNS",
    "RUN_LEASES",
    "WORKFLOWS",
    "ApprovalRow",
    "AuditRow",
    "CacheEntryRow",
    "DatasetExampleRow",
    "DatasetRow",
    "EvalResultRow",
    "EvaluationRow",
    "EventRow",
    "NodeAttemptRow",
    "RunLeaseRow",
    "RunRow",
    "WorkflowRow",
]
