"""Which map items may leave the coordinator: a static reading of what an item runs (its
node template or child workflow, recursively), and the local models it needs there.

Governance stays in one place: approvals, tools, agents and anything unknown run on the
coordinator, and so does an llm node whose model is not pinned (routing lives on the
coordinator), or that calls a remote endpoint under a cost budget or the offline switch.
A model pinned to a remote endpoint the coordinator has configured may otherwise be called
from a worker: the item then carries that endpoint, with the coordinator's key for that
call only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.nodes.base import NodeRegistry
from engine.workflow.loader import load_workflow
from engine.workflow.model import MAX_NESTING, Workflow

REMOTE_KINDS = frozenset({"input", "output", "template", "branch", "join", "llm"})
"""Kinds a worker may run: they read their inputs and config and touch nothing else
(an llm node only on a pinned local model)."""

ModelChecksum = Callable[[str], str | None]
"""The coordinator's sha256 of a local model id (None: not a local model here)."""

EndpointOf = Callable[[str], str | None]
"""The name of the coordinator's remote endpoint that serves a model id (None: none)."""


def _no_endpoint(model: str) -> str | None:
    return None


@dataclass(frozen=True)
class Placement:
    """Where a map's items run, decided once from the map's config before any item."""

    remote: bool
    reason: str
    """Why: the node and kind that keep items on the coordinator, or what goes out."""
    models: dict[str, str] = field(default_factory=dict)
    """Local models the items need on a worker: id -> sha256."""
    endpoints: frozenset[str] = frozenset()
    """Remote endpoints the items call (by name): passed with each item, with its key."""


class _Stay(Exception):
    """An item must run on the coordinator; the message says why."""


@dataclass
class _Needs:
    """What the items need on a worker, gathered while reading them."""

    checksum: ModelChecksum
    endpoint_of: EndpointOf
    models: dict[str, str] = field(default_factory=dict)
    endpoints: set[str] = field(default_factory=set)

    def placement(self, reason: str) -> Placement:
        return Placement(True, reason, self.models, frozenset(self.endpoints))


def place_template(
    kind: str,
    config: dict[str, Any],
    registry: NodeRegistry,
    checksum: ModelChecksum,
    endpoint_of: EndpointOf = _no_endpoint,
) -> Placement:
    """Placement of a map whose items run one node of `kind` with `config`."""
    needs = _Needs(checksum, endpoint_of)
    if kind in ("map", "subworkflow", "loop"):
        return Placement(False, f"template {kind!r} runs other nodes: it runs on the coordinator")
    try:
        _check_node("template", kind, config, registry, needs, None, 0)
    except _Stay as stay:
        return Placement(False, str(stay))
    return needs.placement(f"template {kind!r} runs on workers")


def place_workflow(
    child: Workflow,
    child_dir: Path | None,
    registry: NodeRegistry,
    checksum: ModelChecksum,
    endpoint_of: EndpointOf = _no_endpoint,
) -> Placement:
    """Placement of a map whose items run the workflow `child`."""
    needs = _Needs(checksum, endpoint_of)
    try:
        _check_workflow(child, child_dir, registry, needs, 0)
    except _Stay as stay:
        return Placement(False, str(stay))
    name = child.metadata.name
    return needs.placement(f"child workflow {name!r} runs on workers")


def _check_workflow(
    workflow: Workflow,
    base_dir: Path | None,
    registry: NodeRegistry,
    needs: _Needs,
    depth: int,
) -> None:
    if depth >= MAX_NESTING:
        raise _Stay(f"workflows nest deeper than {MAX_NESTING} levels")
    policy = workflow.policy
    for node in workflow.nodes:
        before = len(needs.endpoints)
        _check_node(node.id, node.kind, node.config, registry, needs, base_dir, depth)
        if len(needs.endpoints) > before and (
            policy.budget.max_cost_usd is not None or policy.offline
        ):
            raise _Stay(
                f"node {node.id!r} (llm) calls a remote endpoint under workflow "
                f"{workflow.metadata.name!r}'s cost budget or offline switch: it is kept "
                "on the coordinator"
            )


def _check_node(
    node_id: str,
    kind: str,
    config: dict[str, Any],
    registry: NodeRegistry,
    needs: _Needs,
    base_dir: Path | None,
    depth: int,
) -> None:
    found = registry.get(kind)
    if found is None:
        raise _Stay(f"node {node_id!r} has unknown kind {kind!r}")
    if kind in ("map", "subworkflow"):
        nested = config.get("workflow")
        template = config.get("template")
        if isinstance(nested, str):
            full = (base_dir or Path.cwd()) / nested
            try:
                child = load_workflow(full).workflow
            except Exception as exc:  # loading is checked again where it runs
                raise _Stay(
                    f"node {node_id!r} runs {nested!r}, which does not load: {exc}"
                ) from None
            _check_workflow(child, full.parent, registry, needs, depth + 1)
        elif isinstance(template, dict):
            inner = template.get("config")
            _check_node(
                f"{node_id}.template",
                str(template.get("kind")),
                inner if isinstance(inner, dict) else {},
                registry,
                needs,
                base_dir,
                depth + 1,
            )
        return
    if kind not in REMOTE_KINDS:
        why = {
            "approval": "asks a person",
            "tool": "calls a tool",
            "agent": "runs an agent with tools",
        }.get(kind, "is not a kind workers run")
        raise _Stay(f"node {node_id!r} ({kind}) {why}: governance stays on the coordinator")
    if kind == "llm":
        _pinned_model(node_id, config, needs)


def _pinned_model(node_id: str, config: dict[str, Any], needs: _Needs) -> None:
    """The llm node's pinned model: a local one the worker must hold, or a remote one whose
    endpoint goes with the item."""
    route = config.get("route") or {}
    model = config.get("model", "auto")
    if model == "auto":
        model = route.get("model", "auto")
    if model == "auto":
        raise _Stay(
            f"node {node_id!r} (llm) routes its model per call: pin a local model to run "
            "it on workers"
        )
    extra = {k for k, v in route.items() if v not in (None, [], "never", "auto", model)}
    extra -= {"tier", "sensitivity", "offline_fallback"}
    if extra:
        raise _Stay(f"node {node_id!r} (llm) has route rules ({', '.join(sorted(extra))})")
    sha = needs.checksum(model)
    if sha is not None:
        needs.models[model] = sha
        return
    endpoint = needs.endpoint_of(model)
    if endpoint is None:
        raise _Stay(f"node {node_id!r} (llm) uses {model!r}, not a model configured here")
    needs.endpoints.add(endpoint)
