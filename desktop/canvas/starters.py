"""New nodes from the palette: a fresh id, a title and a starter config that validates; an
`input` node comes with the declaration of the workflow input it reads."""

from __future__ import annotations

import re
from typing import Any

from desktop.canvas.style import HEADER_HEIGHT, NODE_WIDTH
from engine.nodes.base import NodeRegistry
from engine.workflow.document import WorkflowDocument
from engine.workflow.model import PORT_PATTERN, InputDecl, Node, Position

STARTER_CONFIGS: dict[str, dict[str, Any]] = {
    "template": {"template": "{{ in }}"},
    "llm": {"prompt": "{{ in }}"},
    "branch": {"cases": [{"port": "yes", "when": "in"}], "default": "no"},
    "map": {"template": {"kind": "template", "config": {"template": "{{ in }}"}}},
    "loop": {
        "template": {"kind": "template", "config": {"template": "{{ in }}!"}},
        "max_iterations": 3,
        "until": "text | length >= 10",
    },
    "subworkflow": {"workflow": "child.interlock.yaml"},
}


def starter_config(registry: NodeRegistry, kind_name: str) -> dict[str, Any]:
    """A config that parses: the known starter, else empty strings/lists for required fields."""
    if kind_name in STARTER_CONFIGS:
        return dict(STARTER_CONFIGS[kind_name])
    kind = registry.get(kind_name)
    if kind is None:
        return {}
    schema = kind.config_model.model_json_schema()
    config: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema.get("properties", {}).get(name, {})
        config[name] = {"string": "", "array": [], "object": {}, "boolean": False}.get(
            prop.get("type", "string"), ""
        )
    return config


def new_node(
    document: WorkflowDocument, registry: NodeRegistry, kind_name: str, cx: float, cy: float
) -> Node:
    """A node of `kind_name` whose header is centred on (cx, cy)."""
    x = round(cx - NODE_WIDTH / 2)
    y = round(cy - HEADER_HEIGHT / 2)
    return Node(
        id=document.unique_id(kind_name),
        kind=kind_name,
        title=kind_name.capitalize(),
        position=Position(x=x, y=y),
        config=starter_config(registry, kind_name),
    )


def input_declaration(document: WorkflowDocument, node: Node) -> InputDecl | None:
    """What a new `input` node reads (its id, any type), unless it is declared already."""
    if node.kind != "input" or not re.match(PORT_PATTERN, node.id):
        return None
    if document.has_input(node.id):
        return None
    return InputDecl(name=node.id, type="any")
