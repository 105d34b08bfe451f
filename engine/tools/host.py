"""What the tool gateway needs from the node attempt calling tools: a narrow protocol that
a node's `NodeContext` satisfies, so tools never import the node kinds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from engine.approvals.model import ApprovalDecision, ApprovalRequest
    from engine.audit.chain import AuditEntry
    from engine.tools.base import RunChild
    from engine.workflow.model import WorkflowPolicy


class ToolHost(Protocol):
    """The node attempt a `ToolGateway` calls tools for."""

    @property
    def run_id(self) -> str: ...

    @property
    def node_id(self) -> str: ...

    @property
    def base_dir(self) -> Path | None: ...

    @property
    def depth(self) -> int:
        """How deep this run is nested in workflows that called it."""

    @property
    def policy(self) -> WorkflowPolicy: ...

    @property
    def run_child(self) -> RunChild: ...

    @property
    def emit(self) -> Callable[[type[Any], dict[str, Any]], None]:
        """emit(EventClass, fields): publish a run event for this node."""

    @property
    def request_approval(self) -> Callable[[ApprovalRequest], Awaitable[ApprovalDecision]]:
        """Ask a person and wait for the decision (or pause the run until one is made)."""

    @property
    def audit(self) -> Callable[[AuditEntry], AuditEntry] | None:
        """Append to the audit trail; None when the run has no store."""
