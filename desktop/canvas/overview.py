"""Far zoomed out, one layer paints the whole graph: every node a block in its kind's
colour, every edge straight lines (through its reroute points), outlines for state,
selection and problems, each group in one batched QPainter call. Node and edge items stop
painting themselves meanwhile (`ItemHasNoContents`) but stay in the scene, so clicking,
rubber-band selection and dragging still work. Entries update per item as nodes move or
change state, so thousands of nodes pan at a steady frame rate."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from desktop.canvas.style import (
    HEADER_HEIGHT,
    LOD_BLOCK_TITLE,
    block_title_font,
    colors,
    paint_block_title,
)

if TYPE_CHECKING:
    from desktop.canvas.edge_item import EdgeItem
    from desktop.canvas.node_item import NodeItem

MARGIN = 8.0
_NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents


class OverviewLayer(QGraphicsItem):
    """Paints nodes and edges in bulk while `active`; idle (and empty) otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(-1)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # exposedRect
        self.active = False
        self._bounds = QRectF()
        self._colors: dict[int, QColor] = {}
        self._bodies: dict[NodeItem, QRectF] = {}
        # colour (rgba) -> item -> its rect or line: each colour is drawn in one call
        self._heads: dict[int, dict[NodeItem, QRectF]] = {}
        self._outlines: dict[int, dict[NodeItem, QRectF]] = {}
        self._lines: dict[int, dict[EdgeItem, list[QLineF]]] = {}
        self._node_keys: dict[NodeItem, tuple[int, int | None]] = {}
        """Per node: its header colour key and outline colour key (None: no outline)."""
        self._edge_keys: dict[EdgeItem, int] = {}

    # -- switching -----------------------------------------------------------------------

    def activate(self, nodes: list[NodeItem], edges: list[EdgeItem]) -> None:
        """Take over painting `nodes` and `edges` (the view zoomed out past the detail
        threshold); entries are built from scratch."""
        self.active = True
        self._clear()
        self.prepareGeometryChange()
        self._bounds = QRectF()
        for node in nodes:
            self._set_node(node)
        for edge in edges:
            self._set_edge(edge)
        self.update()

    def deactivate(self) -> None:
        self.active = False
        self._clear()
        self.prepareGeometryChange()
        self._bounds = QRectF()

    def _clear(self) -> None:
        self._bodies.clear()
        self._heads.clear()
        self._outlines.clear()
        self._lines.clear()
        self._node_keys.clear()
        self._edge_keys.clear()

    # -- entries, kept current item by item ----------------------------------------------

    def touch_node(self, node: NodeItem) -> None:
        """`node` moved, changed or appeared: repaint its old and new place."""
        if self.active:
            old = self._bodies.get(node)
            self._set_node(node)
            self._repaint(old, self._bodies[node])

    def touch_edge(self, edge: EdgeItem) -> None:
        if self.active:
            old = self._line_of(edge)
            self._set_edge(edge)
            line = self._line_of(edge)
            self._repaint(_line_rect(old), _line_rect(line))

    def forget_node(self, node: NodeItem) -> None:
        """`node` left the scene."""
        keys = self._node_keys.pop(node, None)
        if keys is None:
            return
        self._heads[keys[0]].pop(node, None)
        if keys[1] is not None:
            self._outlines[keys[1]].pop(node, None)
        self._repaint(self._bodies.pop(node), None)

    def forget_edge(self, edge: EdgeItem) -> None:
        key = self._edge_keys.pop(edge, None)
        if key is not None:
            self._repaint(_line_rect(self._lines[key].pop(edge, None)), None)

    def _set_node(self, node: NodeItem) -> None:
        rect = node.body_rect()
        head = QRectF(rect.x(), rect.y(), rect.width(), HEADER_HEIGHT)
        key = self._key(node.accent())
        outline = node.outline_color()
        outline_key = self._key(outline) if outline is not None else None
        before = self._node_keys.get(node)
        if before is not None:
            self._heads[before[0]].pop(node, None)
            if before[1] is not None:
                self._outlines[before[1]].pop(node, None)
        self._node_keys[node] = (key, outline_key)
        self._bodies[node] = rect
        self._heads.setdefault(key, {})[node] = head
        if outline_key is not None:
            self._outlines.setdefault(outline_key, {})[node] = rect
        self._grow(rect)

    def _set_edge(self, edge: EdgeItem) -> None:
        path = edge.path()
        points = [path.pointAtPercent(0), *edge.via_points(), path.currentPosition()]
        line = [QLineF(a, b) for a, b in pairwise(points)]
        key = self._key(edge.line_color())
        before = self._edge_keys.get(edge)
        if before is not None:
            self._lines[before].pop(edge, None)
        self._edge_keys[edge] = key
        self._lines.setdefault(key, {})[edge] = line
        self._grow(_line_rect(line) or QRectF())

    def _line_of(self, edge: EdgeItem) -> list[QLineF] | None:
        key = self._edge_keys.get(edge)
        return self._lines[key].get(edge) if key is not None else None

    def _key(self, color: QColor) -> int:
        rgba = color.rgba()
        if rgba not in self._colors:
            self._colors[rgba] = QColor(color)
        return rgba

    def _grow(self, rect: QRectF) -> None:
        if not self._bounds.contains(rect):
            self.prepareGeometryChange()
            self._bounds = self._bounds.united(rect) if not self._bounds.isNull() else rect

    def _repaint(self, old: QRectF | None, new: QRectF | None) -> None:
        for rect in (old, new):
            if rect is not None:
                self.update(rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN))

    # -- painting ------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        if self._bounds.isNull():
            return QRectF()
        return self._bounds.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if not self.active:
            return
        palette = colors()
        selection = palette.selection.rgba()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for key, lines in self._lines.items():
            if lines:
                painter.setPen(QPen(self._colors[key], 1.5 if key == selection else 1))
                painter.drawLines([segment for line in lines.values() for segment in line])
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.node_body)
        painter.drawRects(list(self._bodies.values()))
        for key, heads in self._heads.items():
            if heads:
                painter.setBrush(self._colors[key])
                painter.drawRects(list(heads.values()))
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod >= LOD_BLOCK_TITLE:
            font = block_title_font(lod)
            metrics = QFontMetricsF(font)
            painter.setFont(font)
            painter.setPen(QColor("white"))
            shown = option.exposedRect
            for node, body in self._bodies.items():
                if body.intersects(shown):
                    paint_block_title(painter, metrics, body.topLeft(), node.title)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for key, rects in self._outlines.items():
            if rects:
                pen = QPen(self._colors[key], 2)
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawRects(list(rects.values()))


def switch_detail(
    layer: OverviewLayer, nodes: list[NodeItem], edges: list[EdgeItem], detailed: bool
) -> None:
    """Zoomed in (`detailed`), every item paints itself with its ports; far out, ports hide
    and `layer` paints all nodes and edges in a few batched calls, which keeps thousands of
    nodes panning smoothly."""
    for node in nodes:
        node.set_ports_visible(detailed)
        set_drawn(node, detailed)
    for edge in edges:
        set_drawn(edge, detailed)
    if detailed:
        layer.deactivate()
    else:
        layer.activate(nodes, edges)


def set_drawn(item: QGraphicsItem, drawn: bool) -> None:
    """Whether `item` and its children paint themselves (False: the overview does)."""
    item.setFlag(_NO_CONTENTS, not drawn)
    for child in item.childItems():
        child.setFlag(_NO_CONTENTS, not drawn)


def child_added(parent: QGraphicsItem, child: QGraphicsItem) -> None:
    """A child (a run badge, say) added while the overview paints `parent` leaves its
    painting to the overview too."""
    if parent.flags() & _NO_CONTENTS:
        child.setFlag(_NO_CONTENTS)


def layer_of(item: QGraphicsItem) -> OverviewLayer | None:
    """The overview layer of `item`'s scene (None outside a workflow scene)."""
    return getattr(item.scene(), "overview", None)


def _line_rect(line: list[QLineF] | None) -> QRectF | None:
    """The area an edge's straight segments cover."""
    if not line:
        return None
    rect = QRectF(line[0].p1(), line[0].p2()).normalized()
    for segment in line[1:]:
        rect = rect.united(QRectF(segment.p1(), segment.p2()).normalized())
    return rect
