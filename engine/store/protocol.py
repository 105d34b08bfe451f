"""The run store protocol: what the runtime, CLI and desktop need from persistence.

The store is fed only by the run's event stream (`append_events`); run rows and node
attempt rows are derived from those events inside the store, so there is no second
bookkeeping path. SQLite is the embedded default; one contract test suite covers every
implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from engine.approvals.model import ApprovalDecision, ApprovalRecord, ApprovalRequest
from engine.audit.chain import AuditEntry
from engine.store.leases import Alive, Lease
from engine.trace.events import RunEvent


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    workflow_hash: str
    workflow_name: str
    status: str
    """running, succeeded, failed, cancelled."""
    started_at: float
    finished_at: float | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    parent_run_id: str | None = None
    workflow_path: str | None = None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt of one node, derived from its node_started .. terminal events."""

    run_id: str
    node_id: str
    attempt: int
    status: str
    """running, succeeded, failed, retrying (failed and retried), cached, skipped."""
    kind: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_class: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    model: str | None = None
    provider: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    fallback: bool = False
    """The node's fallback (tried once after its retries ran out)."""


@dataclass(frozen=True, slots=True)
class CacheHit:
    outputs: dict[str, Any]
    run_id: str | None = None
    """The run whose node computed the result (None for entries older than that record)."""


@dataclass(frozen=True, slots=True)
class WorkflowVersion:
    hash: str
    name: str
    content: str
    """The YAML text, exactly as run."""
    path: str | None = None


@runtime_checkable
class RunStore(Protocol):
    """Persistence for workflows, runs, attempts, events and the result cache."""

    def save_workflow(self, version: WorkflowVersion) -> None:
        """Store a workflow version (content-addressed; saving twice is a no-op)."""
        ...

    def get_workflow(self, workflow_hash: str) -> WorkflowVersion | None: ...

    def append_events(self, events: Sequence[RunEvent]) -> None:
        """Persist events (and the run/attempt rows derived from them) durably, in one
        transaction. Events must arrive in seq order; a seq already stored is an error."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def take_lease(self, claimant: Lease, now: float, alive: Alive) -> Lease | None:
        """Atomically make `claimant` the run's owner if `may_take` allows it: None when
        taken, else the lease that holds the run."""
        ...

    def renew_lease(self, lease: Lease) -> bool:
        """Extend the owner's lease to `lease.expires_at`; False if it was taken over."""
        ...

    def release_lease(self, run_id: str, owner: str) -> None:
        """Drop the lease if `owner` still holds it."""
        ...

    def child_runs(self, run_id: str) -> list[RunRecord]:
        """The runs `run_id` started (map items, subworkflows, loop iterations, workflow
        tools), oldest first."""
        ...

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        """Newest first."""
        ...

    def events(self, run_id: str, after_seq: int = 0) -> list[RunEvent]:
        """Events of a run in seq order."""
        ...

    def attempts(self, run_id: str) -> list[AttemptRecord]:
        """Node attempts of a run, ordered by start."""
        ...

    def cache_get(self, key: str) -> CacheHit | None:
        """The cached outputs for a key (and the run that computed them), or None."""
        ...

    def cache_put(
        self, key: str, node_kind: str, outputs: dict[str, Any], run_id: str | None = None
    ) -> None: ...

    def cache_clear(self) -> int:
        """Forget every cached result; how many there were."""
        ...

    def put_approval(self, request: ApprovalRequest) -> ApprovalRecord:
        """Store a pending request; if it exists already, return it unchanged (with its
        decision, if one was made meanwhile)."""
        ...

    def get_approval(self, request_id: str) -> ApprovalRecord | None: ...

    def list_approvals(
        self, status: str | None = "pending", run_id: str | None = None
    ) -> list[ApprovalRecord]:
        """Oldest first; status None lists every status."""
        ...

    def decide_approval(self, request_id: str, decision: ApprovalDecision) -> ApprovalRecord:
        """Record a decision atomically. Raises ApprovalConflict (a StoreError) if the
        request is unknown or already decided: a decision cannot be changed."""
        ...

    def append_audit(self, entry: AuditEntry) -> AuditEntry:
        """Seal `entry` onto the audit hash chain (next seq, previous hash, own hash) and
        store it in one transaction; returns the sealed entry. The trail is append-only."""
        ...

    def audit_entries(self, after_seq: int = 0) -> list[AuditEntry]:
        """Audit entries in chain order (seq ascending)."""
        ...

    def close(self) -> None: ...
