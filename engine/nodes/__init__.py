"""Built-in node kinds and the registry factory.

The kinds are imported when a registry is built, not with the package, so modules that
only need `engine.nodes.base` never pull in every kind and its imports."""

from __future__ import annotations

from engine.nodes.base import NodeKind, NodeRegistry

__all__ = ["NodeKind", "NodeRegistry", "builtin_registry", "default_registry"]


def builtin_registry() -> NodeRegistry:
    """A fresh registry with every built-in node kind."""
    from engine.nodes.agent import AgentKind
    from engine.nodes.approval import ApprovalKind
    from engine.nodes.basic import BranchKind, InputKind, OutputKind, TemplateKind
    from engine.nodes.composite import MapKind, SubworkflowKind
    from engine.nodes.join import JoinKind
    from engine.nodes.llm import LlmKind
    from engine.nodes.loop import LoopKind
    from engine.nodes.tool import ToolKind

    return NodeRegistry(
        [
            InputKind(),
            OutputKind(),
            TemplateKind(),
            LlmKind(),
            BranchKind(),
            JoinKind(),
            MapKind(),
            LoopKind(),
            SubworkflowKind(),
            ApprovalKind(),
            ToolKind(),
            AgentKind(),
        ]
    )


def default_registry() -> NodeRegistry:
    """Built-in kinds plus installed plugins: what the CLI and the desktop use."""
    from engine.nodes.plugins import load_plugins

    return load_plugins(builtin_registry())
