"""Approval requests and decisions: small typed values, persisted in the store's approvals
table (the mailbox between a waiting run and whoever decides) and recorded as events."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["approve", "reject", "edit"]
DefaultDecision = Literal["approve", "reject", "fail"]
Status = Literal["pending", "approved", "rejected", "expired"]


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """Something waiting for a person: an approval node's output or a gated action."""

    run_id: str
    node_id: str
    kind: Literal["node", "policy_gate"] = "node"
    title: str = ""
    summary: str = ""
    """Rendered text shown to the approver."""
    inputs: dict[str, Any] = field(default_factory=dict)
    proposed: Any = None
    """The proposed output, or for a gate the action (e.g. a tool call with arguments)."""
    schema: dict[str, Any] | None = None
    """JSON Schema an edited value must satisfy."""
    rule: str | None = None
    """For policy gates: which rule triggered the request."""
    deadline_ts: float | None = None
    default_decision: DefaultDecision | None = None
    approver: str | None = None
    """Required approver name or role, recorded with the decision."""
    comment_required: bool = False
    allow_edit: bool = True
    key: str = ""
    """Stable identity within the run: node id plus what is being approved."""
    created_at: float = field(default_factory=time.time)

    @property
    def request_id(self) -> str:
        digest = hashlib.sha256(f"{self.run_id}\0{self.node_id}\0{self.key}".encode()).hexdigest()
        return digest[:24]

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApprovalRequest:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class ApprovalDecision:
    """A person's (or a deadline's) answer to a request."""

    decision: Decision
    decider: str
    comment: str = ""
    edited_value: Any = None
    decided_at: float = field(default_factory=time.time)
    by_deadline: bool = False

    @property
    def approved(self) -> bool:
        return self.decision in ("approve", "edit")

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApprovalDecision:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """A request as stored, with its status and (once decided) its decision."""

    request: ApprovalRequest
    status: Status
    decision: ApprovalDecision | None = None

    @property
    def request_id(self) -> str:
        return self.request.request_id


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
