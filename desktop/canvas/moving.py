"""Moving by mouse: positions at the press, the nodes a dragged frame carries, and one
MoveNodesCommand for the whole drag on release."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.canvas.annotation_item import AnnotationItem
from desktop.canvas.commands import MoveNodesCommand
from desktop.canvas.node_item import NodeItem

if TYPE_CHECKING:
    from desktop.canvas.scene import WorkflowScene

Point = tuple[float, float]


class MoveTracker:
    def __init__(self, scene: WorkflowScene) -> None:
        self.scene = scene
        self.nodes: dict[str, Point] = {}
        self.annotations: dict[str, Point] = {}
        self.carried: dict[str, list[tuple[str, Point]]] = {}

    def begin(self) -> None:
        """Record where the selection is; a selected frame carries the unselected nodes
        inside it."""
        scene = self.scene
        selected = scene.selectedItems()
        self.nodes = {
            i.node_id: (i.pos().x(), i.pos().y()) for i in selected if isinstance(i, NodeItem)
        }
        frames = [i for i in selected if isinstance(i, AnnotationItem)]
        self.annotations = {f.annotation_id: (f.pos().x(), f.pos().y()) for f in frames}
        self.carried = {}
        for frame in (f for f in frames if f.is_frame):
            area = frame.sceneBoundingRect()
            inside = [
                (node_id, (item.pos().x(), item.pos().y()))
                for node_id, item in scene.node_items.items()
                if node_id not in self.nodes
                and area.contains(item.sceneBoundingRect().adjusted(3, 10, -10, -3))
            ]
            self.carried[frame.annotation_id] = inside
            self.nodes.update(inside)

    def frame_moved(self, frame: AnnotationItem) -> None:
        carried = self.carried.get(frame.annotation_id)
        start = self.annotations.get(frame.annotation_id)
        if not carried or start is None:
            return
        dx, dy = frame.pos().x() - start[0], frame.pos().y() - start[1]
        for node_id, (x, y) in carried:
            item = self.scene.node_items.get(node_id)
            if item is not None:
                item.setPos(x + dx, y + dy)

    def commit(self) -> None:
        scene = self.scene
        moves, notes = {}, {}
        for node_id, old in self.nodes.items():
            item = scene.node_items.get(node_id)
            new = (item.pos().x(), item.pos().y()) if item is not None else old
            if new != old:
                moves[node_id] = (old, new)
        for note_id, old in self.annotations.items():
            note = scene.annotation_items.get(note_id)
            new = (note.pos().x(), note.pos().y()) if note is not None else old
            if new != old:
                notes[note_id] = (old, new)
        self.nodes, self.annotations, self.carried = {}, {}, {}
        if moves or notes:
            scene.undo_stack.push(MoveNodesCommand(scene.document, moves, notes))
