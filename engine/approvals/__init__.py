"""Human approvals: requests, decisions, and the gate nodes call to wait for one."""

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
