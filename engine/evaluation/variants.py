"""Variants: a workflow with some llm nodes' route, model, prompt or sampling changed,
built from the eval file without copying the workflow file."""

from __future__ import annotations

import copy
from typing import Any

from engine.errors import Problem, WorkflowLoadError
from engine.evaluation.spec import LoadedEval, Variant
from engine.workflow.model import Workflow

_LLM_KINDS = frozenset({"llm", "agent"})


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def llm_target(config: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The llm config a variant edits: the node's own, or a map's llm template's."""
    if kind in _LLM_KINDS:
        return config
    template = config.get("template")
    if kind == "map" and isinstance(template, dict) and template.get("kind") in _LLM_KINDS:
        inner = template.setdefault("config", {})
        return inner if isinstance(inner, dict) else None
    return None


def apply_variant(
    workflow: Workflow, variant: Variant, loaded: LoadedEval | None = None
) -> Workflow:
    """A copy of `workflow` with the variant's overrides. Raises WorkflowLoadError, located
    in the eval file, for a node that does not exist or is not an llm node."""
    if not variant.nodes:
        return workflow
    index = (
        next((i for i, v in enumerate(loaded.spec.variants) if v.name == variant.name), 0)
        if loaded is not None
        else 0
    )
    problems: list[Problem] = []
    changed = workflow.model_copy(deep=True)
    nodes = {n.id: n for n in changed.nodes}
    for node_id, override in variant.nodes.items():
        where = ("variants", index, "nodes", node_id)
        node = nodes.get(node_id)
        if node is None:
            problems.append(
                _problem(loaded, where, f"variant {variant.name!r}: no node {node_id!r}")
            )
            continue
        config = copy.deepcopy(node.config)
        target = llm_target(config, node.kind)
        if target is None:
            problems.append(
                _problem(
                    loaded,
                    where,
                    f"variant {variant.name!r}: node {node_id!r} is a {node.kind} node; "
                    "variants change llm nodes (or a map's llm template)",
                )
            )
            continue
        values = override.model_dump(exclude_none=True)
        route = values.pop("route", None)
        target.update(values)
        if route is not None:
            current = target.get("route")
            target["route"] = _merge(current if isinstance(current, dict) else {}, route)
        node.config = config
    if problems:
        raise WorkflowLoadError(problems)
    return changed


def _problem(loaded: LoadedEval | None, where: tuple[str | int, ...], message: str) -> Problem:
    return loaded.locations.problem(where, message) if loaded is not None else Problem(message)
