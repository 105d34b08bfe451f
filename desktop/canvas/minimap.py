"""A small overview of the whole workflow in a corner of the canvas: nodes as blocks and
the visible area as a frame; click or drag in it to move the view there. It shrinks with a
small canvas (large display scaling, a small screen) and steps aside when even its
smallest size would cover the graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from desktop.canvas.style import colors
from desktop.resources import kind_color

if TYPE_CHECKING:
    from desktop.canvas.view import WorkflowView

SIZE = (200, 130)
"""Its size on a roomy canvas."""
MARGIN = 10
SHARE = (0.28, 0.3)
"""At most this share of the canvas's width and height."""
MIN_WIDTH = 80
"""Below this it shows too little to be worth covering the canvas: it hides."""


class MinimapWidget(QWidget):
    def __init__(self, view: WorkflowView) -> None:
        super().__init__(view)
        self.setObjectName("minimap")
        self.view = view
        self.setFixedSize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._world = QRectF()
        self._pixmap: QPixmap | None = None
        self.wanted = True
        """The user's choice (View > Minimap); `room` decides as well."""
        self.room = True

    def set_wanted(self, on: bool) -> None:
        self.wanted = on
        self.setVisible(on and self.room)

    def place(self, area: QRect) -> None:
        """Fit into the bottom-right corner of the canvas `area` (viewport coordinates)."""
        scale = min(1.0, area.width() * SHARE[0] / SIZE[0], area.height() * SHARE[1] / SIZE[1])
        width, height = max(1, round(SIZE[0] * scale)), max(1, round(SIZE[1] * scale))
        self.room = width >= MIN_WIDTH
        if (width, height) != (self.width(), self.height()):
            self.setFixedSize(width, height)
            self._pixmap = None
        self.move(area.right() - width - MARGIN, area.bottom() - height - MARGIN)
        self.setVisible(self.wanted and self.room)

    def invalidate(self) -> None:
        """The nodes changed: redraw the cached overview on the next paint."""
        self._pixmap = None
        self.update()

    # -- geometry ----------------------------------------------------------------------

    def world(self) -> QRectF:
        rect = self.view.workflow_scene.nodes_rect()
        return rect.adjusted(-60, -60, 60, 60) if not rect.isNull() else QRectF()

    def _scale(self) -> tuple[float, QPointF]:
        world = self._world
        s = min((self.width() - 8) / world.width(), (self.height() - 8) / world.height())
        offset = QPointF(
            (self.width() - world.width() * s) / 2 - world.left() * s,
            (self.height() - world.height() * s) / 2 - world.top() * s,
        )
        return s, offset

    def to_scene(self, pos: QPointF) -> QPointF:
        s, offset = self._scale()
        return (pos - offset) / s

    def to_map(self, rect: QRectF) -> QRectF:
        s, offset = self._scale()
        return QRectF(rect.topLeft() * s + offset, rect.size() * s)

    # -- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._pixmap is None:
            self._world = self.world()
            self._pixmap = self._render() if not self._world.isNull() else None
        if self._pixmap is None:
            return
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        frame = self.to_map(visible).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        palette = colors()
        painter.setPen(QPen(palette.selection, 1.5))
        fill = QColor(palette.selection)
        fill.setAlpha(40)
        painter.setBrush(fill)
        painter.drawRect(frame)
        painter.end()

    def _render(self) -> QPixmap:
        palette = colors()
        pixmap = QPixmap(self.size() * self.devicePixelRatioF())
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        back = QColor(palette.node_body)
        back.setAlpha(225)
        painter.setPen(QPen(palette.node_border, 1))
        painter.setBrush(back)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        scene = self.view.workflow_scene
        frame = QColor(palette.node_border)
        frame.setAlpha(70)
        for note in scene.annotation_items.values():
            painter.fillRect(self.to_map(note.sceneBoundingRect()), frame)
        for item in scene.node_items.values():
            painter.fillRect(self.to_map(item.sceneBoundingRect()), kind_color(item.icon_name))
        painter.end()
        return pixmap

    # -- navigating ----------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._go(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event.position())

    def _go(self, pos: QPointF) -> None:
        if self._world.isNull():
            return
        self.view.centerOn(self.to_scene(pos))
        self.update()
