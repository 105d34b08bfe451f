"""The JSON Schema of workflow files, including each node kind's config schema."""

from __future__ import annotations

from typing import Any

from engine.nodes.base import NodeRegistry
from engine.workflow.model import Workflow

SCHEMA_ID = "https://interlock.local/schema/workflow.schema.json"


def workflow_json_schema(registry: NodeRegistry) -> dict[str, Any]:
    """Workflow schema; `x-node-kinds` maps each kind to its config schema and ports."""
    schema = Workflow.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["x-node-kinds"] = {
        kind.name: {
            "description": kind.description,
            "config": kind.config_model.model_json_schema(),
        }
        for kind in registry.kinds()
    }
    return schema
