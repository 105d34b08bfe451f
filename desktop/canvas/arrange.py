"""Canvas edits beyond nodes and edges, each one undo command: frames around the
selection, sticky notes, retitling and resizing them, auto-layout, collapsing nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF

from desktop.canvas.annotation_item import FRAME_BAR
from desktop.canvas.commands import (
    AddAnnotationCommand,
    CollapseNodesCommand,
    MoveNodesCommand,
    UpdateAnnotationCommand,
)
from desktop.canvas.layout import layered_positions
from engine.workflow.annotations import Annotation, AnnotationKind

if TYPE_CHECKING:
    from desktop.canvas.scene import WorkflowScene

FRAME_PAD = 24.0


def add_annotation(
    scene: WorkflowScene, kind: AnnotationKind, at: QPointF, text: str = ""
) -> Annotation:
    """A frame around the selected nodes (else centred on `at`), or a note at `at`."""
    rect = scene.nodes_rect(only_selected=True) if kind == "frame" else QRectF()
    if rect.isNull():
        size = (320.0, 200.0) if kind == "frame" else (220.0, 120.0)
        rect = QRectF(at.x() - size[0] / 2, at.y() - size[1] / 2, *size)
    else:
        rect = rect.adjusted(-FRAME_PAD, -FRAME_PAD - FRAME_BAR, FRAME_PAD, FRAME_PAD)
    annotation = Annotation(
        kind=kind,
        id=scene.document.unique_id(kind),
        text=text or ("Group" if kind == "frame" else "Note"),
        x=round(rect.x()),
        y=round(rect.y()),
        width=round(rect.width()),
        height=round(rect.height()),
    )
    scene.undo_stack.push(AddAnnotationCommand(scene.document, annotation))
    scene.clearSelection()
    scene.annotation_items[annotation.id].setSelected(True)
    return annotation


def set_annotation_text(scene: WorkflowScene, annotation_id: str, text: str) -> bool:
    current = scene.document.annotation(annotation_id)
    if text == current.text:
        return False
    label = "Retitle frame" if current.kind == "frame" else "Edit note"
    scene.undo_stack.push(UpdateAnnotationCommand(scene.document, annotation_id, label, text=text))
    return True


def resize_annotation(
    scene: WorkflowScene, annotation_id: str, width: float, height: float
) -> None:
    current = scene.document.annotation(annotation_id)
    size = {"width": round(width), "height": round(height)}
    if (current.width, current.height) == (size["width"], size["height"]):
        scene.annotation_items[annotation_id].set_annotation(current)
        return
    label = f"Resize {current.kind}"
    scene.undo_stack.push(UpdateAnnotationCommand(scene.document, annotation_id, label, **size))


def auto_layout(scene: WorkflowScene) -> bool:
    """Arrange every node in columns by topological layer, keeping the top-left corner."""
    nodes = scene.document.nodes
    if not nodes:
        return False
    sizes = {
        node_id: (item.boundingRect().width() - 13, item.boundingRect().height() - 13)
        for node_id, item in scene.node_items.items()
    }
    origin = (min(n.position.x for n in nodes), min(n.position.y for n in nodes))
    edges = [(e.source.node, e.target.node) for e in scene.document.edges]
    targets = layered_positions([n.id for n in nodes], edges, sizes, origin)
    moves = {
        n.id: ((n.position.x, n.position.y), targets[n.id])
        for n in nodes
        if (n.position.x, n.position.y) != targets[n.id]
    }
    if not moves:
        return False
    scene.undo_stack.push(MoveNodesCommand(scene.document, moves, label="Auto layout"))
    return True


def toggle_collapsed(
    scene: WorkflowScene, node_ids: list[str] | None = None, collapse: bool | None = None
) -> bool | None:
    """Collapse the nodes (default: the selected ones) unless all are collapsed, then
    expand them (or as `collapse` says); one undo step. Returns the new state, None when
    there were no nodes."""
    node_ids = node_ids if node_ids is not None else scene.selected_node_ids()
    if not node_ids:
        return None
    if collapse is None:
        collapse = not all(scene.document.node(i).ui.collapsed for i in node_ids)
    scene.undo_stack.push(CollapseNodesCommand(scene.document, node_ids, collapse))
    return collapse
