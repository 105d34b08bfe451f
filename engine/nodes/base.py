"""The node-kind interface and the registry the runtime is given (never a global).

A node kind declares its config model (pydantic, also used by the desktop inspector),
its ports (which may depend on the config), how it becomes ready (joins), and `run`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.workflow.model import PortType, WorkflowPolicy
from engine.workflow.plain_errors import plain_errors

if TYPE_CHECKING:
    from engine.approvals.model import ApprovalDecision, ApprovalRequest
    from engine.audit.chain import AuditEntry
    from engine.nodes.executor import ItemExecutor
    from engine.providers.base import ProviderRegistry
    from engine.routing.budget import RunBudget
    from engine.workflow.model import Workflow


class KindConfig(BaseModel):
    """Base for node config models: strict, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid")


C = TypeVar("C", bound=KindConfig)

ConfigProblem = tuple[tuple[str | int, ...], str]
"""A `check` finding at a place inside the node's config: (path within config, message)."""


@dataclass(frozen=True, slots=True)
class PortSpec:
    name: str
    type: PortType = "any"
    description: str = ""


@dataclass(frozen=True, slots=True)
class JoinRule:
    """When a node may start before all its inputs arrive (join nodes)."""

    mode: Literal["all", "any", "quorum"]
    quorum: int = 1
    timeout_s: float | None = None


@dataclass(slots=True)
class NodeResult:
    """What one successful attempt produced."""

    outputs: dict[str, Any]
    """Values by output port; a port left out delivers nothing and its edges are skipped."""
    model: str | None = None
    provider: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    worker: str | None = None
    """The cluster worker that ran it (a map item sent to a cluster); None: this process."""


@dataclass(frozen=True, slots=True)
class ChildRunResult:
    run_id: str
    status: str
    outputs: dict[str, Any]
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    worker: str | None = None
    """The cluster worker that ran the child run; None: this process."""


RequestApproval = Callable[["ApprovalRequest"], Awaitable["ApprovalDecision"]]
"""Persist a request and wait for its decision. Raises `AwaitingApproval` (a
BaseException the runtime handles) when the run must pause until someone decides."""


async def _no_approver(request: ApprovalRequest) -> ApprovalDecision:
    from engine.errors import NodeError

    raise NodeError(
        f"node {request.node_id!r} needs approval but this run has no approver",
        error_class="config",
    )


EmitEvent = Callable[[type[Any], dict[str, Any]], None]
"""emit(EventClass, fields): publish a `RunEvent` subclass for this node on the run's stream."""
AuditSink = Callable[["AuditEntry"], "AuditEntry"]
"""Append an entry to the audit trail (the store seals it onto the hash chain)."""


def _drop_event(cls: type[Any], fields: dict[str, Any]) -> None:
    return None


RunChild = Callable[["Workflow", dict[str, Any], "Path | None", str], Awaitable[ChildRunResult]]
"""run_child(workflow, inputs, base_dir, label) runs a nested workflow to completion."""


@dataclass
class NodeContext:
    """What a running node may use. Created per attempt by the runtime."""

    run_id: str
    node_id: str
    attempt: int
    providers: ProviderRegistry
    registry: NodeRegistry
    base_dir: Path | None
    emit_token: Callable[[str], None]
    log: Callable[[str, str], None]
    run_child: RunChild
    depth: int = 0
    run_inputs: dict[str, Any] = field(default_factory=dict)
    """The run's resolved workflow inputs."""
    request_approval: RequestApproval = _no_approver
    """Ask a person; see `engine.approvals`. Fails closed when no approver is attached."""
    policy: WorkflowPolicy = field(default_factory=WorkflowPolicy)
    """The workflow's governance policy: tool grants and scopes, approval rules, offline."""
    emit: EmitEvent = _drop_event
    """Publish a node-level event (tool calls, agent steps) on the run's event stream."""
    audit: AuditSink | None = None
    """Append to the audit trail; None when the run has no store."""
    extras: dict[str, Any] = field(default_factory=dict)
    budget: RunBudget | None = None
    """The run's spend so far against `policy.budget`, shared by all its nodes (routing)."""
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    """Progress the node recorded before the run was resumed in this process (a loop's
    finished iterations, a map's finished items: `loop_iteration` and `map_item` event
    payloads), oldest first."""
    executor: ItemExecutor | None = None
    """Where a map's items run (`engine.nodes.executor`); None: in this process."""
    node_title: str = ""
    """The node's Title in the workflow file ("" when it has none)."""

    def token(self, text: str) -> None:
        self.emit_token(text)


class NodeKind(Generic[C]):
    """Subclass per node kind. Instances are stateless and shared across runs."""

    name: ClassVar[str]
    description: ClassVar[str]
    icon: ClassVar[str] = "node"
    config_model: type[C]
    cacheable: ClassVar[bool] = True
    """Whether results may be reused for identical config and inputs."""
    version: ClassVar[int] = 1
    """Bump when behaviour changes so old cache entries stop matching."""

    def is_cacheable(self, config: C, registry: NodeRegistry, base_dir: Path | None) -> bool:
        """Whether this node's results may be reused: the kind's `cacheable`, narrowed by
        its config and by everything it runs (a map template, a child workflow)."""
        return self.cacheable

    def cache_facts(self, config: C, base_dir: Path | None) -> dict[str, Any]:
        """What else a result depends on beyond config and inputs (the content of the
        workflow files it runs): part of the cache key, so any change misses."""
        return {}

    def parse_config(self, config: dict[str, Any]) -> C:
        return self.config_model.model_validate(config)

    def input_ports(self, config: C) -> list[PortSpec]:
        return []

    def output_ports(self, config: C) -> list[PortSpec]:
        return []

    def join_rule(self, config: C) -> JoinRule | None:
        return None

    def check(self, config: C, base_dir: Path | None) -> Sequence[str | ConfigProblem]:
        """Extra semantic checks (template syntax, files) for `validate`: a message (located
        at the node's config), or a `ConfigProblem` to point inside the config."""
        return []

    def check_nested(
        self, config: C, registry: NodeRegistry, base_dir: Path | None
    ) -> Sequence[str | ConfigProblem]:
        """Checks of what the node runs that need the registry (a map's or loop's node
        template: its kind, config and ports), in the same form as `check`."""
        return []

    async def run(self, ctx: NodeContext, config: C, inputs: dict[str, Any]) -> NodeResult:
        raise NotImplementedError  # pragma: no cover - every kind overrides it


AnyKind = NodeKind[Any]


class NodeRegistry:
    """The node kinds a runtime knows: the built-in ones and any plugins, passed in."""

    def __init__(self, kinds: Iterable[AnyKind] = ()) -> None:
        self._kinds: dict[str, AnyKind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: AnyKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"node kind {kind.name!r} registered twice")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> AnyKind | None:
        return self._kinds.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def kinds(self) -> Sequence[AnyKind]:
        return [self._kinds[name] for name in self.names()]


def config_errors(kind: AnyKind, config: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Validation errors of a node config as (path within config, message)."""
    try:
        kind.parse_config(config)
    except ValidationError as exc:
        return [
            (loc, f"{'.'.join(map(str, loc)) or 'config'}: {message}")
            for loc, message in plain_errors(exc)
        ]
    return []
