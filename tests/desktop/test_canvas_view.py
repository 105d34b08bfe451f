"""Canvas navigation and arranging: zoom around the cursor, panning, fit-to-selection, the
minimap, auto-layout, frames that carry their nodes, sticky notes, level of detail."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QUndoStack, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.canvas import arrange
from desktop.canvas.inline_edit import InlineTextEditor
from desktop.canvas.view import WorkflowView
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import dumps_workflow
from tests.desktop.canvas_helpers import at, double_click, drag


def _close(a: QPointF, b: QPointF, tolerance: float = 2.0) -> bool:
    return abs(a.x() - b.x()) <= tolerance and abs(a.y() - b.y()) <= tolerance


def test_zoom_keeps_the_point_under_the_cursor(canvas: WorkflowView) -> None:
    anchor = QPoint(700, 150)
    before = canvas.mapToScene(anchor)
    canvas.set_zoom(2.0, anchor)
    assert canvas.zoom == 2.0 and _close(canvas.mapToScene(anchor), before)
    wheel = QWheelEvent(
        QPointF(200, 400),
        QPointF(canvas.viewport().mapToGlobal(QPoint(200, 400))),
        QPoint(0, 0),
        QPoint(0, -240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    under = canvas.mapToScene(QPoint(200, 400))
    QApplication.sendEvent(canvas.viewport(), wheel)
    assert canvas.zoom < 2.0 and _close(canvas.mapToScene(QPoint(200, 400)), under)


def test_plus_and_minus_keys_zoom(window: object) -> None:
    from desktop.main_window import MainWindow

    assert isinstance(window, MainWindow)
    view = window.view
    view.setFocus()
    start = view.zoom
    QTest.keyClick(view, Qt.Key.Key_Plus)
    assert view.zoom > start
    QTest.keyClick(view, Qt.Key.Key_Minus)
    QTest.keyClick(view, Qt.Key.Key_Minus)
    assert view.zoom < start


def test_middle_drag_and_space_drag_pan(canvas: WorkflowView, document: WorkflowDocument) -> None:
    scene = canvas.workflow_scene
    centre = canvas.visible_center()
    drag(canvas, QPoint(500, 300), QPoint(400, 250), Qt.MouseButton.MiddleButton)
    assert _close(canvas.visible_center(), centre + QPointF(100, 50))

    centre = canvas.visible_center()
    canvas.setFocus()
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    assert canvas.viewport().cursor().shape() == Qt.CursorShape.OpenHandCursor
    drag(canvas, QPoint(500, 300), QPoint(560, 330))
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    assert _close(canvas.visible_center(), centre - QPointF(60, 30))
    assert scene.selectedItems() == []  # no rubber band while panning
    assert [n.position.x for n in document.nodes] == [0, 300, 600]


def test_fit_selection_and_fit_all(canvas: WorkflowView) -> None:
    scene = canvas.workflow_scene
    canvas.set_zoom(0.3)
    scene.select_nodes(["out"])
    canvas.zoom_selection()
    assert canvas.zoom == 1.0
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert visible.contains(scene.node_items["out"].sceneBoundingRect())
    assert not visible.contains(scene.node_items["a"].sceneBoundingRect())
    canvas.zoom_fit()
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert all(visible.contains(i.sceneBoundingRect()) for i in scene.node_items.values())


def test_minimap_click_moves_the_view(canvas: WorkflowView) -> None:
    minimap = canvas.minimap
    canvas.set_zoom(1.5)
    canvas.centerOn(QPointF(700, 40))
    assert minimap.isVisible()
    minimap.grab()  # paint once: the overview is computed
    target = minimap.to_map(canvas.workflow_scene.node_items["a"].sceneBoundingRect()).center()
    QTest.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=target.toPoint())
    centre = canvas.workflow_scene.node_items["a"].sceneBoundingRect().center()
    assert _close(canvas.visible_center(), centre, 8)


def test_auto_layout_is_one_undo_step(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    for node_id, (x, y) in {"a": (500, 400), "b": (-200, 90), "out": (0, 0)}.items():
        document.move_node(node_id, x, y)
    before = dumps_workflow(document.workflow)
    assert arrange.auto_layout(canvas.workflow_scene)
    xs = {n.id: n.position.x for n in document.nodes}
    assert xs["a"] < xs["b"] < xs["out"]
    assert {n.position.y for n in document.nodes} == {0.0}  # one node per layer: a row
    assert canvas.workflow_scene.node_items["out"].pos().x() == xs["out"]
    assert undo_stack.count() == 1 and undo_stack.text(0) == "Auto layout"
    undo_stack.undo()
    assert dumps_workflow(document.workflow) == before


def test_frame_around_selection_carries_its_nodes(
    canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    scene.select_nodes(["a", "b"])
    frame = arrange.add_annotation(scene, "frame", QPointF())
    assert document.annotations == [frame] and frame.text == "Group"
    item = scene.annotation_items[frame.id]
    assert item.sceneBoundingRect().contains(scene.node_items["b"].sceneBoundingRect())
    assert not item.sceneBoundingRect().contains(scene.node_items["out"].sceneBoundingRect())
    undo_stack.clear()
    canvas.centerOn(QPointF(250, 40))

    bar = at(canvas, item.mapToScene(QPointF(frame.width / 2, 12)))
    drag(canvas, bar, bar + QPoint(40, 60))
    moved = {n.id: (n.position.x, n.position.y) for n in document.nodes}
    assert moved == {"a": (40, 60), "b": (340, 60), "out": (600, 0)}
    assert (document.annotations[0].x, document.annotations[0].y) == (frame.x + 40, frame.y + 60)
    assert scene.node_items["b"].pos() == QPointF(340, 60)
    assert undo_stack.count() == 1
    undo_stack.undo()
    assert {n.id: n.position.x for n in document.nodes} == {"a": 0, "b": 300, "out": 600}
    assert document.annotations[0] == frame and item.pos() == QPointF(frame.x, frame.y)


def test_a_click_inside_a_frame_body_starts_a_rubber_band(canvas: WorkflowView) -> None:
    scene = canvas.workflow_scene
    scene.select_nodes(["a", "b"])
    arrange.add_annotation(scene, "frame", QPointF())
    scene.clearSelection()
    canvas.centerOn(QPointF(250, 40))
    drag(canvas, at(canvas, QPointF(-10, 85)), at(canvas, QPointF(120, 30)))
    assert scene.selected_node_ids() == ["a"] and scene.selected_annotation_ids() == []


def test_notes_edit_resize_and_delete(
    qtbot: QtBot, canvas: WorkflowView, document: WorkflowDocument, undo_stack: QUndoStack
) -> None:
    scene = canvas.workflow_scene
    note = arrange.add_annotation(scene, "note", QPointF(300, 300))
    item = scene.annotation_items[note.id]
    canvas.centerOn(QPointF(300, 300))
    double_click(canvas, at(canvas, item.mapToScene(QPointF(40, 40))))
    editor = canvas.editor
    assert isinstance(editor, InlineTextEditor)
    qtbot.keyClicks(editor, "Check the prompt")
    QTest.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert (
        document.annotation(note.id).text == "Check the prompt" and item.text == "Check the prompt"
    )

    corner = at(canvas, item.mapToScene(QPointF(note.width - 4, note.height - 4)))
    drag(canvas, corner, corner + QPoint(60, 30))
    resized = document.annotation(note.id)
    assert (resized.width, resized.height) == (note.width + 60, note.height + 30)
    assert (resized.x, resized.y) == (note.x, note.y) and item.width == resized.width

    scene.clearSelection()
    item.setSelected(True)
    assert scene.delete_selection()
    assert document.annotations == [] and note.id not in scene.annotation_items
    for text in ("Delete 1 item", "Resize note", "Edit note", "Add note"):
        assert undo_stack.undoText() == text
        undo_stack.undo()
    assert document.annotations == []


def _white_pixels_in_header(canvas: WorkflowView, scale: float) -> int:
    """Render node `a` alone at `scale` and count white pixels inside its header."""
    from PySide6.QtGui import QColor, QImage, QPainter, QTransform
    from PySide6.QtWidgets import QStyleOptionGraphicsItem

    from desktop.canvas.style import HEADER_HEIGHT, NODE_WIDTH

    item = canvas.workflow_scene.node_items["a"]
    image = QImage(
        int(NODE_WIDTH * scale) + 2, int(HEADER_HEIGHT * scale) + 2, QImage.Format.Format_RGB32
    )
    image.fill(QColor("black"))
    painter = QPainter(image)
    painter.setWorldTransform(QTransform.fromScale(scale, scale))
    item.paint(painter, QStyleOptionGraphicsItem(), None)
    painter.end()
    white = QColor("white").rgb()
    return sum(
        1
        for x in range(image.width())
        for y in range(int(HEADER_HEIGHT * scale) - 1)  # the header only, not the body
        if image.pixel(x, y) == white
    )


def test_far_zoomed_out_blocks_keep_a_legible_title(canvas: WorkflowView) -> None:
    """A whole example fitted into the window (zoom ~0.3-0.45) is read by its titles; only
    further out do blocks go blank."""
    assert _white_pixels_in_header(canvas, 0.3) > 20
    assert _white_pixels_in_header(canvas, 0.15) == 0


def test_the_overview_of_a_fitted_graph_shows_titles(canvas: WorkflowView) -> None:
    """Zoomed out past the detail threshold the overview layer paints every node: at a
    fitted example's zoom it writes their titles; further out it does not."""
    from PySide6.QtGui import QColor

    from desktop.canvas.style import HEADER_HEIGHT, NODE_WIDTH

    def white_in_header(zoom: float) -> int:
        canvas.set_zoom(zoom)
        canvas.centerOn(canvas.workflow_scene.node_items["a"])
        assert not canvas.workflow_scene.detailed and canvas.workflow_scene.overview.active
        image = canvas.viewport().grab().toImage()
        pos = canvas.workflow_scene.node_items["a"].scenePos()
        top_left = canvas.mapFromScene(pos)
        bottom_right = canvas.mapFromScene(pos + QPointF(NODE_WIDTH, HEADER_HEIGHT))
        white = QColor("white").rgb()
        return sum(
            1
            for x in range(top_left.x() + 1, bottom_right.x() - 1)
            for y in range(top_left.y() + 1, bottom_right.y() - 1)
            if image.pixel(x, y) == white
        )

    assert white_in_header(0.3) > 20
    assert white_in_header(0.15) == 0


def test_the_minimap_shrinks_with_a_small_canvas_and_steps_aside_when_tiny(
    qtbot: QtBot, canvas: WorkflowView
) -> None:
    from desktop.canvas.minimap import SIZE

    minimap = canvas.minimap
    canvas.resize(1000, 700)
    qtbot.waitUntil(minimap.isVisible)
    assert (minimap.width(), minimap.height()) == SIZE  # roomy: full size
    area = canvas.viewport().geometry()
    assert area.contains(minimap.geometry())

    canvas.resize(480, 330)  # e.g. 150% display scaling on a 1366x768 screen
    area = canvas.viewport().geometry()
    assert minimap.isVisible() and area.contains(minimap.geometry())
    assert minimap.width() <= 0.28 * area.width() + 1
    assert minimap.height() <= 0.3 * area.height() + 1
    minimap.grab()  # paints at the new size; a click still lands on the node
    centre = canvas.workflow_scene.node_items["a"].sceneBoundingRect().center()
    canvas.centerOn(centre + QPointF(3000, 3000))
    assert not canvas.viewport().rect().contains(canvas.mapFromScene(centre))
    target = minimap.to_map(canvas.workflow_scene.node_items["a"].sceneBoundingRect()).center()
    QTest.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=target.toPoint())
    assert canvas.viewport().rect().contains(canvas.mapFromScene(centre))

    canvas.resize(240, 180)  # too small to be worth covering: hidden
    assert not minimap.isVisible()
    minimap.set_wanted(False)  # View > Minimap off
    canvas.resize(1000, 700)
    assert not minimap.isVisible()  # the user's choice holds when room returns
    minimap.set_wanted(True)
    assert minimap.isVisible() and (minimap.width(), minimap.height()) == SIZE
