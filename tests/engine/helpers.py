"""Small builders for engine tests: workflows from Python dicts, runs on a memory store."""

from __future__ import annotations

import asyncio
from typing import Any

from engine.runtime.engine import Engine, RunResult
from engine.store.memory import MemoryRunStore
from engine.trace.events import RunEvent
from engine.workflow.model import Workflow
from tests.support.kinds import make_registry


def wf(nodes: list[dict[str, Any]], edges: list[tuple[str, str]], **extra: Any) -> Workflow:
    return Workflow.model_validate(
        {
            "version": 1,
            "metadata": {"name": "test"},
            "nodes": nodes,
            "edges": [{"source": s, "target": t} for s, t in edges],
            **extra,
        }
    )


def run(
    workflow: Workflow,
    inputs: dict[str, Any] | None = None,
    store: MemoryRunStore | None = None,
    **kwargs: Any,
) -> tuple[RunResult, list[RunEvent]]:
    events: list[RunEvent] = []
    engine = Engine(make_registry(), store=store or MemoryRunStore())
    result = asyncio.run(engine.run(workflow, inputs or {}, subscribers=[events.append], **kwargs))
    return result, events


def types_for(events: list[RunEvent], node_id: str) -> list[str]:
    return [e.type for e in events if e.node_id == node_id]
