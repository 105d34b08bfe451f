"""The workflow file model: strict pydantic types for `*.interlock.yaml` (version 1).

Everything here is plain data. Policies are small typed values; node-kind specific
configuration stays a free-form mapping that each node kind validates itself.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
"""The current workflow file version; older files are migrated on load."""

ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$"
PORT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"

MAX_NESTING = 8
"""How deep workflows may nest in one run: sub-workflows, maps, loops and the `workflow`
tool each run their child one level down."""

PortType = Literal["any", "string", "number", "integer", "boolean", "object", "array", "null"]
"""Types a port or an input may declare; `any` matches everything."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=True)


class Metadata(_Strict):
    """Who and what a workflow is, for people."""

    name: str = Field(min_length=1, max_length=200, description="Display name.")
    description: str = Field(default="", description="What the workflow does.")
    author: str = Field(default="", description="Who maintains it.")
    tags: list[str] = Field(default_factory=list, description="Free-form labels.")


class InputDecl(_Strict):
    """A declared workflow input: the values a run is started with."""

    name: str = Field(pattern=PORT_PATTERN, description="Name used by `input` nodes and `--input`.")
    type: PortType = Field(default="string", description="Type the value must have.")
    default: Any = Field(default=None, description="Value used when none is given.")
    required: bool = Field(default=False, description="A run without this value is refused.")
    description: str = Field(default="", description="Shown in the inputs dialog and --help.")


class Position(_Strict):
    """A place on the canvas (a node's, or a reroute point's), in scene coordinates."""

    x: float = 0.0
    y: float = 0.0


class NodeUi(_Strict):
    """How the canvas shows a node; nothing here changes what the node does."""

    collapsed: bool = Field(
        default=False, description="Shown as its header only, its ports meeting at its sides."
    )


class EdgeUi(_Strict):
    """How the canvas draws an edge; runs ignore it."""

    via: list[Position] = Field(
        default_factory=list,
        max_length=64,
        description="Reroute points the wire passes through, from its output to its input.",
    )


class RetryPolicy(_Strict):
    """How a failing node is tried again."""

    max_attempts: int = Field(default=1, ge=1, le=100, description="Attempts in all, 1 = no retry.")
    initial_delay_s: float = Field(default=0.5, ge=0, le=3600, description="Wait before retry 2.")
    backoff: float = Field(default=2.0, ge=1, le=10, description="Multiplier per further retry.")
    max_delay_s: float = Field(default=60.0, ge=0, le=3600, description="Cap on a single wait.")
    jitter: float = Field(default=0.1, ge=0, le=1, description="Random +/- share of each wait.")
    retry_on: list[str] = Field(
        default_factory=lambda: ["transient", "timeout"],
        description="Error classes that retry: transient, timeout, validation, model, http, any.",
    )

    def delay(self, failed_attempt: int) -> float:
        """Seconds to wait after attempt `failed_attempt` failed: backoff with jitter."""
        base = min(self.max_delay_s, self.initial_delay_s * self.backoff ** (failed_attempt - 1))
        return max(0.0, base * (1 + random.uniform(-self.jitter, self.jitter)))

    def retries(self, error_class: str) -> bool:
        """Whether an error of `error_class` is tried again."""
        return "any" in self.retry_on or error_class in self.retry_on


class Fallback(_Strict):
    """An alternative tried once when retries are exhausted."""

    kind: str | None = Field(default=None, description="Another node kind; default the node's.")
    config: dict[str, Any] = Field(
        default_factory=dict, description="Config overrides merged over the node's config."
    )


OnError = Literal["fail", "continue", "route"]
"""fail the run; continue with a null output; route the error to the `error` port."""


class NodePolicy(_Strict):
    """Per-node execution policy."""

    timeout_s: float | None = Field(default=None, gt=0, le=86400, description="Per attempt.")
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    fallback: Fallback | None = None
    on_error: OnError = "fail"
    cache: bool = Field(default=True, description="Reuse results for identical inputs.")


class Node(_Strict):
    """One node of the graph."""

    id: str = Field(pattern=ID_PATTERN)
    kind: str = Field(min_length=1, max_length=64)
    title: str = ""
    position: Position = Field(default_factory=Position)
    config: dict[str, Any] = Field(default_factory=dict)
    policy: NodePolicy = Field(default_factory=NodePolicy)
    ui: NodeUi = Field(default_factory=NodeUi)


class PortRef(_Strict):
    """`node_id.port` on one end of an edge."""

    node: str = Field(pattern=ID_PATTERN)
    port: str = Field(pattern=PORT_PATTERN)

    def __str__(self) -> str:
        return f"{self.node}.{self.port}"


class Edge(_Strict):
    """Data flows from an output port to an input port."""

    source: PortRef
    target: PortRef
    ui: EdgeUi = Field(default_factory=EdgeUi)

    @model_validator(mode="before")
    @classmethod
    def _parse_short_form(cls, data: Any) -> Any:
        # Accept `source: a.out` as shorthand for `{node: a, port: out}`.
        if isinstance(data, dict):
            data = dict(data)
            for end in ("source", "target"):
                value = data.get(end)
                if isinstance(value, str) and "." in value:
                    node, _, port = value.rpartition(".")
                    data[end] = {"node": node, "port": port}
        return data


class Budget(_Strict):
    """Spending limits for a whole run: dollars, tokens, and what happens when they run out."""

    max_cost_usd: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    on_exceed: Literal["stop", "downgrade"] = "stop"


class TemplateLimits(_Strict):
    """Bounds on every template and expression the workflow evaluates (the sandbox)."""

    max_chars: int = Field(
        default=5_000_000,
        ge=1_000,
        le=500_000_000,
        description="Largest text or value one template or expression may build or output.",
    )
    max_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="Longest one render when the node has no timeout."
    )
    max_run_chars: int = Field(
        default=100_000_000,
        ge=1_000,
        le=10_000_000_000,
        description="Most text all of one run's templates may output together.",
    )


class ExecutorPolicy(_Strict):
    """Where the run's map items execute; the run itself always stays on this machine."""

    kind: Literal["local", "ray"] = Field(
        description="local: in the run's own process; ray: on the workers of a Ray cluster."
    )
    address: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.\-\[\]:]+:[0-9]{1,5}$",
        description="ray only: the head's HOST:PORT; unset: the head `interlock cluster "
        "start` started on this machine.",
    )

    @model_validator(mode="after")
    def _address_is_for_ray(self) -> ExecutorPolicy:
        if self.address is not None and self.kind != "ray":
            raise ValueError("address is only for kind: ray")
        return self


class WorkflowPolicy(_Strict):
    """Workflow-wide governance: the homes for routing, tool and approval rules."""

    max_parallelism: int = Field(default=4, ge=1, le=256)
    budget: Budget = Field(default_factory=Budget)
    offline: bool = Field(default=False, description="No network connection is attempted.")
    allowed_models: list[str] | None = Field(
        default=None, description="Model ids nodes may use; None = any configured model."
    )
    allowed_tools: list[str] | None = Field(
        default=None, description="Tool names nodes may call; None = none beyond defaults."
    )
    tool_scopes: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-tool scope settings: folders, hosts, databases and limits.",
    )
    approval_rules: list[dict[str, Any]] = Field(
        default_factory=list, description="Policy gates that need a person."
    )
    templates: TemplateLimits = Field(default_factory=TemplateLimits)
    executor: ExecutorPolicy | None = Field(
        default=None,
        description="Where map items run; unset: as the command line and the config's "
        "[cluster] say (in the run's process unless they name a cluster).",
    )


class Annotation(_Strict):
    """A canvas frame (a titled box; dragging it moves the nodes inside) or sticky note.
    Runs ignore annotations."""

    kind: Literal["frame", "note"] = Field(description="frame: groups nodes; note: free text.")
    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(default="", max_length=10_000, description="Frame title or note text.")
    x: float = 0.0
    y: float = 0.0
    width: float = Field(default=240.0, gt=0, le=100_000)
    height: float = Field(default=160.0, gt=0, le=100_000)
    color: str = Field(default="", pattern=r"^(#[0-9A-Fa-f]{6})?$", description="#rrggbb or ''.")


class Workflow(_Strict):
    """A whole workflow file."""

    version: int = Field(default=SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    metadata: Metadata
    inputs: list[InputDecl] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    policy: WorkflowPolicy = Field(default_factory=WorkflowPolicy)
    annotations: list[Annotation] = Field(
        default_factory=list, description="Canvas frames and sticky notes; runs ignore them."
    )

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def input_decl(self, name: str) -> InputDecl | None:
        return next((decl for decl in self.inputs if decl.name == name), None)
