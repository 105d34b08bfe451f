"""The canvas view: grid, zoom around the cursor (wheel, keys, pinch), panning (middle
drag, space + drag), fit, minimap, quick-add, in-place renaming and palette drops."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QShowEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QGestureEvent, QGraphicsView, QPinchGesture, QWidget

from desktop.canvas import arrange
from desktop.canvas.annotation_item import FRAME_BAR
from desktop.canvas.inline_edit import InlineEditor, InlineTextEditor
from desktop.canvas.minimap import MinimapWidget
from desktop.canvas.node_item import TITLE_RECT
from desktop.canvas.quick_add import QuickAddPopup
from desktop.canvas.scene import WorkflowScene
from desktop.canvas.style import GRID, LOD_TEXT, colors, reset_caches, title_font
from desktop.canvas.wire_add import LooseWire, add_connected_node, compatible_kinds
from engine.workflow.document import Change, DirtyChanged, DocumentReset

KIND_MIME = "application/x-interlock-node-kind"
MIN_ZOOM, MAX_ZOOM = 0.05, 3.0
SCENE_MARGIN = 4000.0


class WorkflowView(QGraphicsView):
    def __init__(self, scene: WorkflowScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.workflow_scene = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.grabGesture(Qt.GestureType.PinchGesture)
        self._pan_from: QPointF | None = None
        self._space = False
        self.editor: InlineEditor | InlineTextEditor | None = None
        self.quick_add = QuickAddPopup(scene.registry, self)
        self.quick_add.chosen.connect(self._on_quick_add)
        self._quick_add_at = QPointF()
        self._wire: LooseWire | None = None
        """The wire the open quick-add will connect its node to, if any."""
        self.minimap = MinimapWidget(self)
        scene.rename_requested.connect(self.begin_rename)
        scene.wire_dropped.connect(self._on_wire_dropped)
        scene.edit_requested.connect(self.begin_edit_annotation)
        self._unsubscribe = scene.document.subscribe(self._on_change)
        self.update_scene_rect()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_theme_changed)

    def _on_change(self, change: Change) -> None:
        if isinstance(change, DirtyChanged):
            return
        if isinstance(change, DocumentReset):
            self.update_scene_rect()
        self.minimap.invalidate()

    def update_scene_rect(self) -> None:
        """Room to scroll around the workflow, however large it is."""
        rect = self.workflow_scene.nodes_rect().united(QRectF(-1000, -1000, 2000, 2000))
        self.setSceneRect(rect.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN))

    # -- zoom ------------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom to `factor`, keeping the scene point under `anchor` (viewport pixels; default
        the mouse if it is over the canvas, else the centre) where it is."""
        # A fitted huge graph may sit below MIN_ZOOM: zooming from there never jumps in.
        factor = max(min(MIN_ZOOM, self.zoom), min(MAX_ZOOM, factor))
        if anchor is None:
            anchor = self._cursor_or_centre()
        before = self.mapToScene(anchor)
        saved = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setTransform(QTransform.fromScale(factor, factor))
        self.setTransformationAnchor(saved)
        self.workflow_scene.set_detail(factor >= LOD_TEXT)
        shift = self.mapFromScene(before) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + shift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + shift.y())
        self.minimap.update()

    def _cursor_or_centre(self) -> QPoint:
        pos = self.viewport().mapFromGlobal(QCursor.pos())
        return pos if self.viewport().rect().contains(pos) else self.viewport().rect().center()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / 1.25)

    def zoom_reset(self) -> None:
        centre = self.visible_center()
        self.resetTransform()
        self.centerOn(centre)

    def zoom_fit(self) -> None:
        self.fit_rect(self.workflow_scene.nodes_rect())

    def zoom_selection(self) -> None:
        """Fit the selected nodes (everything if nothing is selected)."""
        rect = self.workflow_scene.nodes_rect(only_selected=True)
        self.fit_rect(rect if not rect.isNull() else self.workflow_scene.nodes_rect())

    def fit_rect(self, rect: QRectF) -> None:
        """Show `rect` whole, no closer than 1:1; a graph too big for legible text is shown
        whole anyway, nodes drawn as blocks (zoom in, or use the minimap, to read them)."""
        if rect.isNull():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        self.update_scene_rect()
        padded = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(padded, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom <= 1.0:  # else set_zoom below sets the detail
            self.workflow_scene.set_detail(self.zoom >= LOD_TEXT)
        else:
            self.set_zoom(1.0)
            self.centerOn(rect.center())
        self.minimap.update()

    def visible_center(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier or event.pixelDelta().isNull():
            steps = event.angleDelta().y() / 120.0
            if steps:
                self.set_zoom(self.zoom * math.pow(1.15, steps), event.position().toPoint())
                event.accept()
                return
        super().wheelEvent(event)
        self.minimap.update()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Gesture and isinstance(event, QGestureEvent):
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if isinstance(pinch, QPinchGesture):
                centre = self.viewport().mapFromGlobal(pinch.centerPoint().toPoint())
                self.set_zoom(self.zoom * pinch.scaleFactor(), centre)
                event.accept()
                return True
        return super().event(event)

    # -- panning with the middle button or space + drag ------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        middle = event.button() == Qt.MouseButton.MiddleButton
        if middle or (self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def pan_by(self, dx: float, dy: float) -> None:
        """Scroll the view by (dx, dy) viewport pixels."""
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(dy))
        self.minimap.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
            self._set_pan_cursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _set_pan_cursor(self) -> None:
        if self._space:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self._set_pan_cursor()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.workflow_scene.cancel_connection()
            self.workflow_scene.clearSelection()
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._pan_from is None:
                self._set_pan_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: object) -> None:
        self._space = False
        self._set_pan_cursor()
        super().focusOutEvent(event)  # type: ignore[arg-type]

    # -- quick add, in-place editing -------------------------------------------------------

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if event.button() == Qt.MouseButton.LeftButton and self.itemAt(pos) is None:
            self.open_quick_add(pos)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def open_quick_add(self, at: QPoint | None = None) -> None:
        """The add-node popup at `at` (viewport pixels; default the mouse or the centre)."""
        at = at if at is not None else self._cursor_or_centre()
        self._quick_add_at = self.mapToScene(at)
        self._wire = None
        self.quick_add.popup(self.viewport().mapToGlobal(at))

    def _on_wire_dropped(self, wire: LooseWire, at: QPointF) -> None:
        """Quick-add at `at` listing only the kinds that can take `wire`."""
        kinds = compatible_kinds(wire, self.workflow_scene.document, self.workflow_scene.registry)
        if not kinds:
            self.workflow_scene.hint.emit(f"No node kind can connect to {wire.ref}")
            return
        self._quick_add_at = at
        self._wire = wire
        self.quick_add.popup(self.viewport().mapToGlobal(self.mapFromScene(at)), kinds)

    def _on_quick_add(self, kind: str) -> None:
        wire, self._wire = self._wire, None
        if wire is not None:
            add_connected_node(self.workflow_scene, wire, kind, self._quick_add_at)
        else:
            self.workflow_scene.add_node_of_kind(kind, self._quick_add_at)
        self.setFocus()

    def _editor_font(self, scale: float = 1.0) -> QFont:
        font = QFont(title_font())
        font.setPointSizeF(max(8.0, font.pointSizeF() * self.zoom * scale))
        return font

    def _view_rect(self, scene_rect: QRectF) -> QRect:
        return self.mapFromScene(scene_rect).boundingRect()

    def begin_rename(self, node_id: str) -> InlineEditor | None:
        item = self.workflow_scene.node_items.get(node_id)
        if item is None:
            return None
        self.close_editor()
        self.ensureVisible(item, 20, 20)
        node = self.workflow_scene.document.node(node_id)
        rect = self._view_rect(item.mapRectToScene(TITLE_RECT))
        editor = InlineEditor(self.viewport(), node.title or node.id, rect, self._editor_font())
        editor.committed.connect(lambda text: self._after_edit(node_id, text, node=True))
        self.editor = editor
        return editor

    def begin_edit_annotation(self, annotation_id: str) -> InlineEditor | InlineTextEditor | None:
        item = self.workflow_scene.annotation_items.get(annotation_id)
        if item is None:
            return None
        self.close_editor()
        text = self.workflow_scene.document.annotation(annotation_id).text
        editor: InlineEditor | InlineTextEditor
        if item.is_frame:
            rect = self._view_rect(
                item.mapRectToScene(QRectF(6, 2, item.width - 12, FRAME_BAR - 4))
            )
            editor = InlineEditor(self.viewport(), text, rect, self._editor_font())
        else:
            rect = self._view_rect(item.sceneBoundingRect())
            editor = InlineTextEditor(self.viewport(), text, rect, self._editor_font(0.9))
        editor.committed.connect(lambda text: self._after_edit(annotation_id, text, node=False))
        self.editor = editor
        return editor

    def rename_selected(self) -> None:
        scene = self.workflow_scene
        nodes, notes = scene.selected_node_ids(), scene.selected_annotation_ids()
        if len(nodes) == 1:
            self.begin_rename(nodes[0])
        elif len(notes) == 1 and not nodes:
            self.begin_edit_annotation(notes[0])

    def _after_edit(self, target: str, text: str, *, node: bool) -> None:
        self.editor = None
        if node:
            self.workflow_scene.rename_node(target, text)
        else:
            arrange.set_annotation_text(self.workflow_scene, target, text.strip())
        self.setFocus()

    def close_editor(self) -> None:
        if self.editor is not None:
            self.editor.finish(True)
            self.editor = None

    # -- drops from the palette ----------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(KIND_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(KIND_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasFormat(KIND_MIME):
            super().dropEvent(event)
            return
        kind = bytes(event.mimeData().data(KIND_MIME).data()).decode()
        self.workflow_scene.add_node_of_kind(kind, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

    # -- background, minimap placement, theme ----------------------------------------------

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.minimap.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.minimap.place(self.viewport().geometry())

    def showEvent(self, event: QShowEvent) -> None:
        """Shown again (its tab comes forward), the view stays where it was. Qt would move
        the scene point last seen under the mouse to wherever the pointer is now when it
        believes the pointer is over the view, and a menu or dialog that took the mouse
        leaves it believing so; Qt sends an enter event if the pointer really is here."""
        self.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, False)
        super().showEvent(event)

    def drawBackground(self, painter: QPainter, area: QRectF | QRect) -> None:
        rect = QRectF(area)
        palette = colors()
        painter.fillRect(rect, palette.background)
        if self.zoom < 0.35:
            return
        left = math.floor(rect.left() / GRID) * GRID
        top = math.floor(rect.top() / GRID) * GRID
        lines: tuple[list[QLineF], list[QLineF]] = ([], [])  # minor, major
        x = left
        while x < rect.right():
            lines[round(x / GRID) % 5 == 0].append(QLineF(x, rect.top(), x, rect.bottom()))
            x += GRID
        y = top
        while y < rect.bottom():
            lines[round(y / GRID) % 5 == 0].append(QLineF(rect.left(), y, rect.right(), y))
            y += GRID
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # axis-aligned hairlines
        for pen, batch in zip((palette.grid_minor, palette.grid_major), lines, strict=True):
            painter.setPen(QPen(pen, 0))
            painter.drawLines(batch)
        painter.restore()

    def _on_theme_changed(self, *_: object) -> None:
        reset_caches()
        self.workflow_scene.restyle()
        self.workflow_scene.update()
        self.viewport().update()
        self.minimap.invalidate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._on_theme_changed()
        super().changeEvent(event)

    def detach(self) -> None:
        """Stop observing the document and the system theme."""
        self._unsubscribe()
        QGuiApplication.styleHints().colorSchemeChanged.disconnect(self._on_theme_changed)
