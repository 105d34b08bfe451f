"""Interlock's headless engine: workflow files, validation, the runtime, the run store,
providers and node kinds. This module is the declared public surface (`__all__`)."""

from __future__ import annotations

from engine.errors import (
    InterlockError,
    NodeError,
    NodeTimeout,
    NodeValidationError,
    RunError,
    WorkflowInvalid,
    WorkflowLoadError,
)
from engine.nodes import builtin_registry, default_registry
from engine.nodes.base import (
    JoinRule,
    KindConfig,
    NodeContext,
    NodeKind,
    NodeRegistry,
    NodeResult,
    PortSpec,
)
from engine.providers.base import (
    ChatMessage,
    ModelRequest,
    ModelResult,
    Provider,
    ProviderError,
    ProviderRegistry,
)
from engine.runtime.engine import Engine, RunResult
from engine.runtime.events import EventBus, RunEvent
from engine.store import open_store
from engine.store.protocol import AttemptRecord, RunRecord, RunStore
from engine.workflow.loader import (
    LoadedWorkflow,
    Problem,
    dumps_workflow,
    load_workflow,
    loads_workflow,
    save_workflow,
)
from engine.workflow.model import Edge, Node, Workflow
from engine.workflow.validate import Report, validate

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
