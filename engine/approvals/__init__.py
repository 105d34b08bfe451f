"""Human approvals: requests and decisions as values, and the checks on a decision. The gate a
run's nodes wait at is `engine.runtime.approval_gate`."""

from __future__ import annotations

from engine.approvals.model import (
    ApprovalDecision,
    ApprovalRecord,
    ApprovalRequest,
    Decision,
    DefaultDecision,
)

__all__ = [
    "ApprovalDecision",
    "ApprovalRecord",
    "ApprovalRequest",
    "Decision",
    "DefaultDecision",
]
