"""Ports follow prompts: the names an llm or template node's prompt reads that are none of
its input ports (offered as ports to add), and telling a renamed port in an edited list."""

from __future__ import annotations

from jinja2 import TemplateError

from engine.nodes.base import NodeRegistry
from engine.sandbox import SandboxError, template_names
from engine.workflow.model import Node, Workflow

PROMPT_FIELDS: dict[str, tuple[str, ...]] = {"llm": ("prompt", "system"), "template": ("template",)}
"""The config fields, per node kind, that are templates rendered with the input ports."""
ALWAYS_KNOWN = frozenset({"inputs"})
"""Names every prompt may read besides its ports (`inputs`: all of them as a mapping)."""


def missing_ports(node: Node, registry: NodeRegistry) -> dict[str, str]:
    """Each name the node's prompts read that is not an input port, with the field that
    reads it first; empty for other kinds and for configs or templates that do not parse
    (validation reports those)."""
    fields = PROMPT_FIELDS.get(node.kind, ())
    kind = registry.get(node.kind)
    if not fields or kind is None:
        return {}
    try:
        ports = {p.name for p in kind.input_ports(kind.parse_config(node.config))}
    except ValueError:
        return {}
    missing: dict[str, str] = {}
    for field in fields:
        source = node.config.get(field)
        if not isinstance(source, str):
            continue
        try:
            names = template_names(source)
        except (TemplateError, SandboxError):
            continue
        for name in sorted(names - ports - ALWAYS_KNOWN):
            missing.setdefault(name, field)
    return missing


Warning = tuple[tuple[str | int, ...], str]
"""Where in the workflow's data (as a Problem's path) and what."""


def prompt_port_problems(workflow: Workflow, registry: NodeRegistry) -> list[Warning]:
    """A warning per name a prompt reads that no input port gives (the render would fail
    on it)."""
    problems: list[Warning] = []
    for i, node in enumerate(workflow.nodes):
        for name, field in missing_ports(node, registry).items():
            message = (
                f"node {node.id!r}: the {field} uses {{{{ {name} }}}}, which is not an input "
                f"port; add it to the node's inputs"
            )
            problems.append((("nodes", i, "config", field), message))
    return problems


def renamed_port(old: list[str], new: list[str]) -> tuple[str, str] | None:
    """(old name, new name) when `new` is `old` with exactly one name changed in place."""
    if len(old) != len(new):
        return None
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    if len(changed) != 1 or changed[0][1] in old:
        return None
    return changed[0]
