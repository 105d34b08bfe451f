"""`MemoryRunStore`: the run store in plain Python dicts, for tests and throwaway runs.

It keeps the same rows as SQLite (derived by `derive.py`) and the same constraints
(unique run and event keys, events only for started runs), and undoes a failed batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from engine.approvals.model import ApprovalDecision, ApprovalRecord, ApprovalRequest
from engine.audit.chain import GENESIS, AuditEntry, seal
from engine.store import approvals as approval_rows
from engine.store import derive
from engine.store.derive import RowOp
from engine.store.errors import DuplicateEventError, StoreError
from engine.store.leases import Alive, Lease, may_take
from engine.store.memory_evals import MemoryEvaluations
from engine.store.protocol import AttemptRecord, CacheHit, RunRecord, WorkflowVersion
from engine.store.rows import (
    Row,
    attempt_order,
    attempt_record,
    cache_outputs,
    cache_row,
    run_order,
    run_record,
    workflow_row,
    workflow_version,
)
from engine.trace.events import RunEvent

log = logging.getLogger(__name__)

K = TypeVar("K")
Undo = list[Callable[[], None]]

_MISSING: Any = object()


def _put(mapping: dict[K, Row], key: K, row: Row, undo: Undo) -> None:
    """Set mapping[key] = row, recording how to take it back."""
    old = mapping.get(key, _MISSING)

    def take_back() -> None:
        if old is _MISSING:
            del mapping[key]
        else:
            mapping[key] = old

    undo.append(take_back)
    mapping[key] = row


class MemoryRunStore(MemoryEvaluations):
    """A `RunStore` and `EvaluationStore` that live and die with the process."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._workflows: dict[str, Row] = {}
        self._runs: dict[str, Row] = {}
        self._attempts: dict[str, dict[tuple[str, int], Row]] = {}
        self._events: dict[str, dict[int, Row]] = {}
        self._cache: dict[str, Row] = {}
        self._approvals: dict[str, Row] = {}
        self._audit: list[AuditEntry] = []
        self._leases: dict[str, Lease] = {}
        self._closed = False

    def __enter__(self) -> MemoryRunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the memory run store is closed")

    # ---- workflows ----------------------------------------------------------------------

    def save_workflow(self, version: WorkflowVersion) -> None:
        with self._lock:
            self._check_open()
            if version.hash not in self._workflows:
                self._workflows[version.hash] = workflow_row(version, time.time())

    def get_workflow(self, workflow_hash: str) -> WorkflowVersion | None:
        with self._lock:
            self._check_open()
            row = self._workflows.get(workflow_hash)
            return workflow_version(row) if row is not None else None

    # ---- events and derived rows ----------------------------------------------------------

    def append_events(self, events: Sequence[RunEvent]) -> None:
        ops, rows = derive.plan(events)
        with self._lock:
            self._check_open()
            undo: Undo = []
            try:
                for op in ops:
                    self._apply(op, undo)
                for row in rows:
                    self._insert_event(row, undo)
            except BaseException:
                for step in reversed(undo):
                    step()
                log.debug("rolled back a batch of %d events", len(rows))
                raise

    def _require_run(self, run_id: str) -> None:
        if run_id not in self._runs:
            raise StoreError(f"run {run_id!r} was never started (no run_started event stored)")

    def _apply(self, op: RowOp, undo: Undo) -> None:
        values = op.values
        run_id: str = values["run_id"]
        if op.kind == "insert_run":
            if run_id in self._runs:
                raise StoreError(f"run {run_id!r} already exists")
            row = dict(values)
            if row["workflow_path"] is None:
                workflow = self._workflows.get(row["workflow_hash"])
                row["workflow_path"] = workflow["path"] if workflow is not None else None
            _put(self._runs, run_id, row, undo)
        elif op.kind in ("resume_run", "finish_run"):
            if run_id in self._runs:
                _put(self._runs, run_id, self._runs[run_id] | values, undo)
            if op.kind == "resume_run":
                attempts = self._attempts.get(run_id, {})
                for key, row in list(attempts.items()):
                    if row["status"] == "running":
                        interrupted = row | {"status": "interrupted", "finished_at": None}
                        _put(attempts, key, interrupted, undo)
        else:
            self._require_run(run_id)
            attempts = self._attempts.setdefault(run_id, {})
            node_id: str = values["node_id"]
            if op.kind == "append_attempt":
                numbers = [n for (node, n) in attempts if node == node_id]
                row = values | {"attempt": max(numbers, default=0) + 1}
            elif op.kind == "finish_attempt" and (node_id, values["attempt"]) in attempts:
                old = attempts[(node_id, values["attempt"])]
                row = old | {name: values[name] for name in derive.FINISH_COLUMNS}
            else:
                row = dict(values)
            _put(attempts, (node_id, row["attempt"]), row, undo)

    def _insert_event(self, row: Row, undo: Undo) -> None:
        run_id, seq = row["run_id"], row["seq"]
        self._require_run(run_id)
        events = self._events.setdefault(run_id, {})
        if seq in events:
            raise DuplicateEventError(f"event seq {seq} of run {run_id!r} is already stored")
        _put(events, seq, row, undo)

    # ---- reads ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            self._check_open()
            row = self._runs.get(run_id)
            return run_record(row) if row is not None else None

    def child_runs(self, run_id: str) -> list[RunRecord]:
        with self._lock:
            self._check_open()
            rows = [r for r in self._runs.values() if r["parent_run_id"] == run_id]
        return [run_record(r) for r in sorted(rows, key=lambda r: (r["started_at"], r["run_id"]))]

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        with self._lock:
            self._check_open()
            rows = sorted(self._runs.values(), key=run_order, reverse=True)
            return [run_record(row) for row in rows[: max(limit, 0)]]

    def events(self, run_id: str, after_seq: int = 0) -> list[RunEvent]:
        with self._lock:
            self._check_open()
            rows = self._events.get(run_id, {})
            return [derive.row_event(rows[seq]) for seq in sorted(rows) if seq > after_seq]

    def attempts(self, run_id: str) -> list[AttemptRecord]:
        with self._lock:
            self._check_open()
            rows = sorted(self._attempts.get(run_id, {}).values(), key=attempt_order)
            return [attempt_record(row) for row in rows]

    # ---- leases ---------------------------------------------------------------------------

    def take_lease(self, claimant: Lease, now: float, alive: Alive) -> Lease | None:
        with self._lock:
            self._check_open()
            holder = self._leases.get(claimant.run_id)
            if not may_take(holder, claimant, now, alive):
                return holder
            self._leases[claimant.run_id] = claimant
            return None

    def renew_lease(self, lease: Lease) -> bool:
        with self._lock:
            held = self._leases.get(lease.run_id)
            if held is None or held.owner != lease.owner:
                return False
            self._leases[lease.run_id] = lease
            return True

    def release_lease(self, run_id: str, owner: str) -> None:
        with self._lock:
            held = self._leases.get(run_id)
            if held is not None and held.owner == owner:
                del self._leases[run_id]

    # ---- result cache -----------------------------------------------------------------

    def cache_get(self, key: str) -> CacheHit | None:
        with self._lock:
            self._check_open()
            row = self._cache.get(key)
            if row is None:
                return None
            row["hits"] += 1
            return CacheHit(cache_outputs(row), row["run_id"])

    def cache_put(
        self, key: str, node_kind: str, outputs: dict[str, Any], run_id: str | None = None
    ) -> None:
        row = cache_row(key, node_kind, outputs, time.time(), run_id)
        with self._lock:
            self._check_open()
            self._cache[key] = row

    def cache_clear(self) -> int:
        with self._lock:
            self._check_open()
            count = len(self._cache)
            self._cache.clear()
            return count

    # ---- approvals mailbox ----------------------------------------------------------------

    def put_approval(self, request: ApprovalRequest) -> ApprovalRecord:
        with self._lock:
            self._check_open()
            self._require_run(request.run_id)
            row = self._approvals.setdefault(request.request_id, approval_rows.request_row(request))
            return approval_rows.record(row)

    def get_approval(self, request_id: str) -> ApprovalRecord | None:
        with self._lock:
            self._check_open()
            row = self._approvals.get(request_id)
            return approval_rows.record(row) if row is not None else None

    def list_approvals(
        self, status: str | None = "pending", run_id: str | None = None
    ) -> list[ApprovalRecord]:
        with self._lock:
            self._check_open()
            rows = sorted(
                self._approvals.values(), key=lambda r: (r["created_at"], r["request_id"])
            )
            return [
                approval_rows.record(row)
                for row in rows
                if (status is None or row["status"] == status)
                and (run_id is None or row["run_id"] == run_id)
            ]

    def decide_approval(self, request_id: str, decision: ApprovalDecision) -> ApprovalRecord:
        with self._lock:
            self._check_open()
            row = self._approvals.get(request_id)
            current = approval_rows.record(row) if row is not None else None
            approval_rows.check_decidable(request_id, current)
            assert row is not None
            row.update(approval_rows.decision_values(decision))
            return approval_rows.record(row)

    # ---- audit trail -------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> AuditEntry:
        with self._lock:
            self._check_open()
            head = self._audit[-1] if self._audit else None
            sealed = seal(entry, head.seq + 1 if head else 1, head.hash if head else GENESIS)
            self._audit.append(sealed)
            return sealed

    def audit_entries(self, after_seq: int = 0) -> list[AuditEntry]:
        with self._lock:
            self._check_open()
            return [e for e in self._audit if e.seq > after_seq]

    def close(self) -> None:
        with self._lock:
            self._closed = True
