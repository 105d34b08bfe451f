"""What a routed model call needs from the node attempt making it: a narrow protocol that
a node's `NodeContext` satisfies, so routing never imports the node kinds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from engine.approvals.model import ApprovalDecision, ApprovalRequest
    from engine.providers.base import ProviderRegistry
    from engine.routing.budget import RunBudget
    from engine.workflow.model import WorkflowPolicy


class CallHost(Protocol):
    """The node attempt a `RoutedCall` runs for."""

    @property
    def run_id(self) -> str: ...

    @property
    def node_id(self) -> str: ...

    @property
    def attempt(self) -> int: ...

    @property
    def providers(self) -> ProviderRegistry: ...

    @property
    def budget(self) -> RunBudget | None:
        """The run's spend so far, shared by all its nodes; None when unbudgeted."""

    @property
    def policy(self) -> WorkflowPolicy: ...

    @property
    def log(self) -> Callable[[str, str], None]:
        """log(level, message) on the node's log."""

    @property
    def emit(self) -> Callable[[type[Any], dict[str, Any]], None]:
        """emit(EventClass, fields): publish a run event for this node."""

    @property
    def request_approval(self) -> Callable[[ApprovalRequest], Awaitable[ApprovalDecision]]:
        """Ask a person and wait for the decision (or pause the run until one is made)."""

    def token(self, text: str) -> None:
        """Stream a piece of the answer as it arrives."""
