"""Workflow file migrations: pure functions from version N to N+1.

Version 0 was the pre-release format: `interlock: 0`, nodes as a mapping of id to node,
edges as `{from: a.out, to: b.in}`. Each step takes plain data and returns new data.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from engine.workflow.model import SCHEMA_VERSION

Data = dict[str, Any]


def _v0_to_v1(old: Data) -> Data:
    data = copy.deepcopy(old)
    data.pop("interlock", None)
    nodes = data.get("nodes", {})
    if isinstance(nodes, dict):
        data["nodes"] = [{"id": node_id, **(node or {})} for node_id, node in nodes.items()]
    edges = []
    for edge in data.get("edges", []) or []:
        if isinstance(edge, dict) and "from" in edge:
            edges.append({"source": edge.get("from"), "target": edge.get("to")})
        else:
            edges.append(edge)
    data["edges"] = edges
    if "name" in data and "metadata" not in data:
        data["metadata"] = {"name": data.pop("name")}
    data["version"] = 1
    return data


MIGRATIONS: dict[int, Callable[[Data], Data]] = {0: _v0_to_v1}
"""MIGRATIONS[n] turns a version-n document into version n+1."""


def file_version(data: Data) -> int:
    if "version" in data:
        version = data["version"]
    elif "interlock" in data:
        version = data["interlock"]
    else:
        return SCHEMA_VERSION
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"version must be an integer, got {version!r}")
    return version


def migrate(data: Data) -> Data:
    """Bring a document up to SCHEMA_VERSION. Raises ValueError for unknown versions."""
    version = file_version(data)
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"file version {version} is newer than this Interlock understands "
            f"({SCHEMA_VERSION}); upgrade Interlock"
        )
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"no migration from version {version}")
        data = step(data)
        version += 1
    return data
