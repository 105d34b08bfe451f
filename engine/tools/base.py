"""A tool is a typed value: name, description, JSON Schemas for arguments and result,
side-effect class, idempotency, the scope model it needs, and an async handler.

Handlers get a `ToolCall` (the effective scope plus the call's context) and validated
arguments; the governed path in `gateway.py` is the only caller.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.tools.errors import ToolInvalid

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

    from engine.workflow.model import Workflow

SideEffect = Literal["read", "write", "external"]
"""read: looks only; write: changes local state; external: acts beyond this machine."""
Decision = Literal["allow", "ask", "deny"]
"""What the gateway does with a granted call no approval rule matches."""


class Scope(BaseModel):
    """What a tool may touch. Granted per workflow (`policy.tool_scopes[tool]`); a node may
    ask for less, never more: `narrow` returns the intersection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def narrow(self, requested: Any) -> Any:
        raise NotImplementedError  # pragma: no cover - every scope overrides it


S = TypeVar("S", bound=Scope)


class ChildRun(Protocol):
    """A finished child run as a tool reads it (the runtime's `ChildRunResult` is one)."""

    @property
    def run_id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def outputs(self) -> dict[str, Any]: ...

    @property
    def error(self) -> str | None: ...


RunChild = Callable[["Workflow", dict[str, Any], "Path | None", str], Awaitable[ChildRun]]
"""run_child(workflow, inputs, base_dir, label) runs a nested workflow to completion."""


@dataclass(frozen=True, slots=True)
class ToolCall(Generic[S]):
    """The context of one call: its effective scope and where it runs."""

    tool: str
    scope: S
    run_id: str
    node_id: str
    base_dir: Path
    """The workflow's folder: relative scope paths resolve against it."""
    offline: bool = False
    idempotency_key: str | None = None
    run_child: RunChild | None = None
    depth: int = 0
    data_dir: Path | None = None
    """Where tools may keep caches (the knowledge index); None = the app data dir."""


Handler = Callable[[ToolCall[Any], dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    arguments: dict[str, Any]
    """JSON Schema of the arguments object."""
    result: dict[str, Any]
    """JSON Schema of the result."""
    side_effect: SideEffect
    scope: type[Scope]
    handler: Handler
    idempotent: bool = False
    """Whether the call accepts an idempotency key (write/external calls get one)."""
    decision: Decision = "allow"
    """ask: every call needs a person's approval; deny: never called (tool sources set
    these from the user's settings; built-ins rely on the workflow's approval rules)."""
    decision_reason: str = ""
    """Shown to the approver (or in the refusal) when `decision` is not allow."""

    def parse_scope(self, data: dict[str, Any] | None) -> Scope:
        try:
            return self.scope.model_validate(data or {})
        except ValidationError as exc:
            raise ToolInvalid(
                f"scope of tool {self.name!r} is invalid: {_first_error(exc)}",
                error_class="config",
            ) from None

    def check_arguments(self, arguments: Any) -> dict[str, Any]:
        if not isinstance(arguments, dict):
            raise ToolInvalid(f"{self.name}: arguments must be an object")
        _check(self.arguments, arguments, f"{self.name} arguments")
        return arguments

    def check_result(self, result: Any) -> Any:
        _check(self.result, result, f"{self.name} result")
        return result

    def describe(self) -> dict[str, Any]:
        """Name, description and argument schema: what a model is shown."""
        return {"name": self.name, "description": self.description, "parameters": self.arguments}


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    return f"{'.'.join(map(str, err['loc'])) or 'scope'}: {err['msg']}"


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # loaded on first validation, not at start-up

    return Draft202012Validator(json.loads(schema_text))


def _check(schema: dict[str, Any], value: Any, what: str) -> None:
    validator = _validator(json.dumps(schema, sort_keys=True))
    error = next(iter(sorted(validator.iter_errors(value), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(top)"
        raise ToolInvalid(f"{what} do not match the schema at {where}: {error.message}")
