"""Typed change events a WorkflowDocument emits; views redraw from them. No Qt here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from engine.workflow.annotations import Annotation
from engine.workflow.model import Edge, Node, Workflow

Aspect = Literal["title", "config", "policy", "ui"]
Section = Literal["metadata", "inputs", "policy"]


@dataclass(frozen=True, slots=True)
class NodeAdded:
    node: Node
    index: int


@dataclass(frozen=True, slots=True)
class NodeRemoved:
    node: Node
    index: int


@dataclass(frozen=True, slots=True)
class NodeMoved:
    node_id: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class NodeChanged:
    """A node's title, config, policy or canvas look (ui) changed (its ports may have
    changed too)."""

    node: Node
    aspect: Aspect


@dataclass(frozen=True, slots=True)
class EdgeAdded:
    edge: Edge
    index: int


@dataclass(frozen=True, slots=True)
class EdgeRemoved:
    edge: Edge
    index: int


@dataclass(frozen=True, slots=True)
class DocumentReset:
    """The whole workflow was replaced (new, open, revert): redraw everything."""

    workflow: Workflow


@dataclass(frozen=True, slots=True)
class DirtyChanged:
    dirty: bool


@dataclass(frozen=True, slots=True)
class AnnotationAdded:
    annotation: Annotation
    index: int


@dataclass(frozen=True, slots=True)
class AnnotationRemoved:
    annotation: Annotation
    index: int


@dataclass(frozen=True, slots=True)
class AnnotationChanged:
    """A frame or note moved, was resized, retitled or recoloured."""

    annotation: Annotation


@dataclass(frozen=True, slots=True)
class WorkflowChanged:
    """A workflow-wide section changed: its metadata, declared inputs or policy."""

    section: Section


Change = (
    NodeAdded
    | NodeRemoved
    | NodeMoved
    | NodeChanged
    | EdgeAdded
    | EdgeRemoved
    | DocumentReset
    | DirtyChanged
    | AnnotationAdded
    | AnnotationRemoved
    | AnnotationChanged
    | WorkflowChanged
)
Observer = Callable[[Change], None]
