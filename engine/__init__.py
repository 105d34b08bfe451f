"""Interlock's headless engine: workflow files, validation, the runtime, the run store,
providers and node kinds. This module is the declared public surface (`__all__`); names
load on first use, so importing one engine module does not pull in the store or httpx."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "AttemptRecord": "engine.store.protocol",
    "ChatMessage": "engine.providers.base",
    "Edge": "engine.workflow.model",
    "Engine": "engine.runtime.engine",
    "EventBus": "engine.trace.events",
    "InterlockError": "engine.errors",
    "JoinRule": "engine.nodes.base",
    "KindConfig": "engine.nodes.base",
    "LoadedWorkflow": "engine.workflow.loader",
    "ModelRequest": "engine.providers.base",
    "ModelResult": "engine.providers.base",
    "Node": "engine.workflow.model",
    "NodeContext": "engine.nodes.base",
    "NodeError": "engine.errors",
    "NodeKind": "engine.nodes.base",
    "NodeRegistry": "engine.nodes.base",
    "NodeResult": "engine.nodes.base",
    "NodeTimeout": "engine.errors",
    "NodeValidationError": "engine.errors",
    "PortSpec": "engine.nodes.base",
    "Problem": "engine.workflow.loader",
    "Provider": "engine.providers.base",
    "ProviderError": "engine.providers.base",
    "ProviderRegistry": "engine.providers.base",
    "Report": "engine.runtime.validate",
    "RunError": "engine.errors",
    "RunEvent": "engine.trace.events",
    "RunRecord": "engine.store.protocol",
    "RunResult": "engine.runtime.engine",
    "RunStore": "engine.store.protocol",
    "Workflow": "engine.workflow.model",
    "WorkflowInvalid": "engine.errors",
    "WorkflowLoadError": "engine.errors",
    "builtin_registry": "engine.nodes",
    "default_registry": "engine.nodes",
    "dumps_workflow": "engine.workflow.loader",
    "load_workflow": "engine.workflow.loader",
    "loads_workflow": "engine.workflow.loader",
    "open_store": "engine.store",
    "save_workflow": "engine.workflow.loader",
    "validate": "engine.runtime.validate",
}

__all__ = [
    "AttemptRecord",
    "ChatMessage",
    "Edge",
    "Engine",
    "EventBus",
    "InterlockError",
    "JoinRule",
    "KindConfig",
    "LoadedWorkflow",
    "ModelRequest",
    "ModelResult",
    "Node",
    "NodeContext",
    "NodeError",
    "NodeKind",
    "NodeRegistry",
    "NodeResult",
    "NodeTimeout",
    "NodeValidationError",
    "PortSpec",
    "Problem",
    "Provider",
    "ProviderError",
    "ProviderRegistry",
    "Report",
    "RunError",
    "RunEvent",
    "RunRecord",
    "RunResult",
    "RunStore",
    "Workflow",
    "WorkflowInvalid",
    "WorkflowLoadError",
    "builtin_registry",
    "default_registry",
    "dumps_workflow",
    "load_workflow",
    "loads_workflow",
    "open_store",
    "save_workflow",
    "validate",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
