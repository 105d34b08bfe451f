"""A frame (titled box behind nodes, grabbed by its title bar) or a sticky note on the
canvas. Moves and resizes are reported to the scene, which makes them undo commands."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop.canvas.style import LOD_TEXT, colors, title_font
from engine.workflow.annotations import Annotation

FRAME_BAR = 30.0
HANDLE = 14.0
MIN_SIZE = (80.0, 50.0)


class AnnotationItem(QGraphicsItem):
    def __init__(self, annotation: Annotation) -> None:
        super().__init__()
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.annotation_id = annotation.id
        self.kind = annotation.kind
        self.text = ""
        self.width = self.height = 0.0
        self.color = QColor()
        self._resize_from: tuple[QPointF, float, float] | None = None
        self.set_annotation(annotation)

    def set_annotation(self, annotation: Annotation) -> None:
        self.prepareGeometryChange()
        self.text = annotation.text
        self.width, self.height = annotation.width, annotation.height
        self.color = QColor(annotation.color) if annotation.color else QColor()
        self.setZValue(-20 if self.kind == "frame" else -2)
        self.setPos(annotation.x, annotation.y)
        self.setToolTip("" if self.kind == "frame" else annotation.text)
        self.update()

    @property
    def is_frame(self) -> bool:
        return self.kind == "frame"

    def rect(self) -> QRectF:
        return QRectF(0, 0, self.width, self.height)

    def title_rect(self) -> QRectF:
        return QRectF(0, 0, self.width, FRAME_BAR) if self.is_frame else self.rect()

    def handle_rect(self) -> QRectF:
        return QRectF(self.width - HANDLE, self.height - HANDLE, HANDLE, HANDLE)

    def boundingRect(self) -> QRectF:
        return self.rect().adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        """Frames are grabbed by their title bar, edges and resize handle only, so a press
        inside one still starts a rubber band or reaches the nodes."""
        path = QPainterPath()
        if not self.is_frame:
            path.addRect(self.rect())
            return path
        path.addRect(self.title_rect())
        band = 6.0
        for r in (
            QRectF(0, 0, band, self.height),
            QRectF(self.width - band, 0, band, self.height),
            QRectF(0, self.height - band, self.width, band),
            self.handle_rect(),
        ):
            path.addRect(r)
        return path.simplified()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = colors()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        base = QColor(self.color) if self.color.isValid() else None
        rect = self.rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = palette.selection if self.isSelected() else palette.node_border
        if self.is_frame:
            fill = QColor(base or palette.frame)
            fill.setAlpha(60 if base else 255)
            painter.setPen(QPen(border, 2.0 if self.isSelected() else 1.0))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 8, 8)
            bar = QColor(base or palette.node_border)
            bar.setAlpha(90)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bar)
            painter.drawRoundedRect(self.title_rect().adjusted(1, 1, -1, 0), 7, 7)
        else:
            painter.setPen(QPen(border, 2.0 if self.isSelected() else 0.8))
            painter.setBrush(base or palette.note)
            painter.drawRect(rect)
        self._paint_handle(painter, border)
        if lod < LOD_TEXT * 0.6 or not self.text:
            return
        painter.setPen(palette.text)
        if self.is_frame:
            font = title_font()
            painter.setFont(font)
            text = QFontMetricsF(font).elidedText(
                self.text, Qt.TextElideMode.ElideRight, self.width - 20
            )
            painter.drawText(
                self.title_rect().adjusted(10, 0, -10, 0), Qt.AlignmentFlag.AlignVCenter, text
            )
        else:
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
            painter.drawText(rect.adjusted(10, 8, -10, -8), int(flags) | _WRAP, self.text)

    def _paint_handle(self, painter: QPainter, color: QColor) -> None:
        painter.setPen(QPen(color, 1.2))
        r = self.handle_rect()
        right, bottom = r.right() - 2, r.bottom() - 2
        for k in (2.0, 6.0):
            painter.drawLine(QPointF(right - k, bottom), QPointF(right, bottom - k))

    # -- interaction: reported to the scene ---------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.handle_rect().contains(event.pos()):
            self._resize_from = (event.pos(), self.width, self.height)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._resize_from is not None:
            press, width, height = self._resize_from
            delta = event.pos() - press
            self.prepareGeometryChange()
            self.width = max(MIN_SIZE[0], width + delta.x())
            self.height = max(MIN_SIZE[1], height + delta.y())
            self.update()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._resize_from is not None:
            self._resize_from = None
            scene = self.scene()
            if hasattr(scene, "resize_annotation"):
                scene.resize_annotation(self.annotation_id, self.width, self.height)
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if self.title_rect().contains(event.pos()) and hasattr(scene, "edit_requested"):
            scene.edit_requested.emit(self.annotation_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            scene = self.scene()
            if hasattr(scene, "annotation_moved"):
                scene.annotation_moved(self)
        return super().itemChange(change, value)


_WRAP = int(Qt.TextFlag.TextWordWrap)
