"""The engine's exception tree, and the `Problem` values a workflow error carries.

InterlockError
├── WorkflowLoadError       a file could not be read, parsed or validated (has .problems)
├── WorkflowInvalid         a loaded workflow fails graph validation (has .problems)
├── RunError                a run cannot start or continue (unknown run, bad inputs)
└── NodeError               a node attempt failed; .error_class drives retries
    ├── NodeTimeout
    └── NodeValidationError
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RETRY_CLASSES = (
    "transient",
    "timeout",
    "validation",
    "model",
    "config",
    "error",
    "tool",
    "http",
    "policy",
    "budget",
    "offline",
    "approval",
    "rejected",
    "exhausted",
    "any",
)
"""What a node's `retry_on` may name: the `error_class` values node attempts fail with,
and `any` for every one."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a workflow file, pointing at a YAML location (1-based)."""

    message: str
    line: int = 1
    column: int = 1
    path: tuple[str | int, ...] = ()
    """Keys and list indexes from the document root to the offending value."""

    def format(self, file: str) -> str:
        message = " ".join(self.message.split())  # always one line per problem
        return f"{file}:{self.line}:{self.column}: {message}"


class InterlockError(Exception):
    """Base of every error the engine raises on purpose."""


class WorkflowLoadError(InterlockError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))


class WorkflowInvalid(WorkflowLoadError):
    """Graph-level problems (cycles, ports, kinds) in an otherwise well-formed file."""


class RunError(InterlockError):
    """A run cannot be started or resumed."""


class RunInterrupted(InterlockError):
    """The run cannot go on here for a reason outside the workflow (the cluster running its
    items was lost): it stops as `interrupted`, keeping every finished node and map item,
    and `resume` continues it. Never retried, never a fallback: no node is at fault."""


class NodeError(InterlockError):
    """A node attempt failed; `error_class` (one of RETRY_CLASSES but `any`) drives retries."""

    error_class = "error"

    def __init__(
        self,
        message: str,
        *,
        error_class: str | None = None,
        route: tuple[str, Any] | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        if error_class is not None:
            self.error_class = error_class
        self.route = route
        """With on_error `route`: (port, value) to deliver instead of the `error` port."""
        self.retry_after_s = retry_after_s
        """The failed service's own wait before a retry (HTTP Retry-After), if it gave one;
        a retry waits at least this long, within the policy's max_delay_s."""


class NodeTimeout(NodeError):
    error_class = "timeout"


class NodeValidationError(NodeError):
    error_class = "validation"
