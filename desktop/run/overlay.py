"""Paints a `RunState` onto the canvas: node run states (through the scene's public
`set_run_state`), badges, output previews (collapsible) and carried-edge glows. Updates are
coalesced to one per frame."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.canvas.node_item import NodeItem
from desktop.canvas.scene import WorkflowScene
from desktop.run.badges import EdgeCarryGlow, NodeRunBadge, format_metrics
from desktop.run.preview_item import NodeOutputPreview, preview_text
from engine.trace.fold import RunState

D = TypeVar("D")
FRAME_MS = 16
TICK_MS = 250


class CanvasRunOverlay(QObject):
    flushed = Signal(object)
    """After a repaint: the set of node ids that changed (None: everything)."""

    def __init__(self, scene: WorkflowScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.state = RunState()
        self.live = False
        self.now: float | None = None
        """Fixed clock for replays; None means wall time."""
        self._dirty: set[str] = set()
        self._all = True
        self._badges: dict[str, tuple[NodeItem, NodeRunBadge]] = {}
        self._previews: dict[str, tuple[NodeItem, NodeOutputPreview]] = {}
        self.previews_on = True
        """Output previews under finished nodes (Workflow ▸ Output Previews on Nodes)."""
        self.expanded: set[str] = set()
        """Nodes whose output preview is expanded."""
        self._glows: dict[tuple[str, str, str, str], tuple[object, EdgeCarryGlow]] = {}
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.setInterval(FRAME_MS)
        self._frame.timeout.connect(self.flush)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        self.flush_count = 0

    def show_state(self, state: RunState, *, live: bool, now: float | None = None) -> None:
        self.state, self.now = state, now
        self.set_live(live)
        self.mark(None)

    def set_live(self, live: bool) -> None:
        self.live = live
        if live:
            self._tick.start()
        else:
            self._tick.stop()
            self.mark(None)

    def stop(self) -> None:
        self._tick.stop()
        self._frame.stop()

    def mark(self, node_id: str | None) -> None:
        """Note a change; the canvas repaints at most once per frame."""
        if node_id is None:
            self._all = True
        else:
            self._dirty.add(node_id)
        if not self._frame.isActive():
            self._frame.start()

    def _on_tick(self) -> None:
        for node in self.state.nodes.values():
            if node.state in ("running", "streaming", "retrying", "waiting"):
                self._dirty.add(node.node_id)
        self.flush()

    def flush(self) -> None:
        self._frame.stop()
        changed: set[str] | None = None if self._all else set(self._dirty)
        ids = list(self.scene.node_items) if self._all else list(self._dirty)
        if self._all:
            self._forget_removed()
        self._all, self._dirty = False, set()
        now = self.now if self.now is not None else time.time()
        for node_id in ids:
            self._paint_node(node_id, now)
        self._paint_edges()
        self.flush_count += 1
        self.flushed.emit(changed)

    def _forget_removed(self) -> None:
        """Drop decorations of node items the scene no longer shows (another file)."""
        items = self.scene.node_items
        for known in (self._badges, self._previews):
            for node_id in [n for n, (item, _) in known.items() if items.get(n) is not item]:
                del known[node_id]

    def _badge(self, node_id: str) -> NodeRunBadge | None:
        return _decoration(self.scene, self._badges, node_id, NodeRunBadge)

    def preview(self, node_id: str) -> NodeOutputPreview | None:
        """The output preview under a node (made on first use)."""
        return _decoration(
            self.scene, self._previews, node_id, lambda i: NodeOutputPreview(i, self.set_expanded)
        )

    def set_expanded(self, node_id: str, expanded: bool) -> None:
        """Expand or collapse one node's output preview."""
        if expanded:
            self.expanded.add(node_id)
        else:
            self.expanded.discard(node_id)
        self.mark(node_id)

    def set_previews(self, on: bool) -> None:
        """Show or hide every node's output preview."""
        self.previews_on = on
        self.mark(None)

    def _paint_node(self, node_id: str, now: float) -> None:
        node = self.state.nodes.get(node_id)
        state = node.state if node is not None else None
        item = self.scene.node_items.get(node_id)
        if item is not None and item.run_state != state:  # an unchanged state costs no repaint
            self.scene.set_run_state(node_id, state)
        shows = node is not None and node.done and self.previews_on
        outputs = node.outputs if node is not None and shows else None
        text = preview_text(outputs)
        preview = self.preview(node_id) if text or node_id in self._previews else None
        if preview is not None:
            expanded = node_id in self.expanded
            preview.set_text(text, expanded, "" if expanded else preview_text(outputs, True))
        badge = self._badge(node_id)
        if badge is None:
            return
        if node is None or state is None:
            badge.set_info(None, "", "")
            return
        elapsed = node.elapsed(now)
        detail = ""
        if state in ("running", "streaming", "retrying", "waiting") and elapsed is not None:
            detail = f"{elapsed:.1f}s"
        if node.attempt > 1:
            detail = f"#{node.attempt} {detail}".strip()
        seconds = node.duration_s if node.done else None
        metrics = format_metrics(node.model, node.remote, node.tokens, node.cost_usd, seconds)
        badge.set_info(state, detail, metrics)

    def _paint_edges(self) -> None:
        carried = self.state.carried
        for key, edge in self.scene.edge_items.items():
            on = (key[0], key[1]) in carried
            known = self._glows.get(key)
            glow = known[1] if known is not None and known[0] is edge else None
            if on and glow is None:
                self._glows[key] = (edge, EdgeCarryGlow(edge))
            elif on and glow is not None:
                glow.follow(edge)
                glow.setVisible(True)
            elif glow is not None:
                glow.setVisible(False)

    def carried_edges(self) -> list[tuple[str, str, str, str]]:
        """Edge keys currently highlighted (for tests)."""
        return [
            k
            for k, (e, g) in self._glows.items()
            if g.isVisible() and e is self.scene.edge_items.get(k)
        ]


def _decoration(
    scene: WorkflowScene,
    known: dict[str, tuple[NodeItem, D]],
    node_id: str,
    make: Callable[[NodeItem], D],
) -> D | None:
    """The decoration `known` holds for the node's current item, made for it if none."""
    item = scene.node_items.get(node_id)
    if item is None:
        return None
    held = known.get(node_id)
    if held is not None and held[0] is item:
        return held[1]
    made = make(item)
    known[node_id] = (item, made)
    return made
