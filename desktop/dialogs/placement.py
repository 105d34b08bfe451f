"""Where to put a dialog so it leaves a given rectangle (the canvas node it is about) in
view: beside, below or above it, inside the screen's available area, shrunk if needed."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

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
