"""Where to put a dialog so it leaves a given rectangle (the canvas node it is about) in
view: beside, below or above it, inside the screen's available area, shrunk if needed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMargins, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

Locate = Callable[[str, bool], QRect | None]
"""`locate(node_id, to_corner)`: the node's rectangle on screen, once it is in view
(`to_corner`: scrolled to the view's top-left corner); None when not shown."""

GAP = 16


def clear_of(avoid: QRect, area: QRect, preferred: QSize, minimum: QSize) -> QRect | None:
    """A rectangle of at most `preferred` and at least `minimum` size inside `area` that
    does not meet `avoid` (plus a gap): the side of `avoid` with the most room, the dialog
    centred on `avoid` along that side. None when no side has room for `minimum`."""
    room = {
        "right": QRect(
            avoid.right() + GAP, area.top(), area.right() - avoid.right() - GAP, area.height()
        ),
        "left": QRect(area.left(), area.top(), avoid.left() - GAP - area.left(), area.height()),
        "below": QRect(
            area.left(), avoid.bottom() + GAP, area.width(), area.bottom() - avoid.bottom() - GAP
        ),
        "above": QRect(area.left(), area.top(), area.width(), avoid.top() - GAP - area.top()),
    }
    fitting = [
        (side, space)
        for side, space in room.items()
        if space.width() >= minimum.width() and space.height() >= minimum.height()
    ]
    if not fitting:
        return None
    side, space = max(fitting, key=lambda kv: _area(kv[1].size().boundedTo(preferred)))
    size = preferred.boundedTo(space.size())
    rect = QRect(space.topLeft(), size)
    if side in ("right", "left"):
        if side == "left":
            rect.moveRight(space.right())
        rect.moveTop(
            _clamp(
                avoid.center().y() - size.height() // 2,
                space.top(),
                space.bottom() - size.height() + 1,
            )
        )
    else:
        if side == "above":
            rect.moveBottom(space.bottom())
        rect.moveLeft(
            _clamp(
                avoid.center().x() - size.width() // 2,
                space.left(),
                space.right() - size.width() + 1,
            )
        )
    return rect


def _area(size: QSize) -> int:
    return size.width() * size.height()


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def place_clear_of_node(dialog: QWidget, node_id: str, locate: Locate) -> None:
    """Move the shown `dialog` beside the canvas node `node_id`, so the node stays in sight;
    if there is no room anywhere around it, scroll it into the view's corner first. Left
    where it is when the node is not on the canvas."""
    screen = dialog.screen() or QGuiApplication.primaryScreen()
    frame, inner = dialog.frameGeometry(), dialog.geometry()
    left, top = inner.left() - frame.left(), inner.top() - frame.top()
    right, bottom = frame.right() - inner.right(), frame.bottom() - inner.bottom()
    for to_corner in (False, True):
        node = locate(node_id, to_corner)
        if node is None:
            return
        # room for a window frame the window manager may add after this
        avoid = node.adjusted(-8, -32, 8, 32)
        smallest = dialog.minimumSizeHint().grownBy(QMargins(left, top, right, bottom))
        rect = clear_of(avoid, screen.availableGeometry(), frame.size(), smallest)
        if rect is not None:
            dialog.setGeometry(rect.adjusted(left, top, -right, -bottom))
            return
