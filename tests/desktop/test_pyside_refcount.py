"""Regression guard for PySide6 6.12.0, which leaks a decref of None on every void call.

On CPython 3.11 each void-returning wrapper (``QGraphicsItem.setPos``, ``QPen`` setters,
``QPainterPath.cubicTo`` …) under 6.12.0 drops one reference to ``None``; a busy canvas
runs it to zero and the process dies with ``Fatal Python error: none_dealloc``.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

import pytest
from PySide6 import __version_info__ as pyside_version
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QGraphicsRectItem

CALLS = 10_000
# Checked after every batch so a broken build fails the test long before None's count
# reaches zero and the interpreter aborts (None has only a few thousand references).
BATCH = 100


def test_pyside_version_is_below_6_12() -> None:
    assert tuple(pyside_version[:2]) < (6, 12), (
        f"PySide6 {'.'.join(map(str, pyside_version[:3]))} installed; 6.12.0 corrupts "
        "None's reference count on CPython 3.11 (pin PySide6<6.12 in pyproject.toml)"
    )


class _Targets:
    """Fresh Qt value objects for one test (built once a QApplication exists)."""

    def __init__(self) -> None:
        self.item = QGraphicsRectItem(0.0, 0.0, 10.0, 10.0)
        self.pen = QPen()
        self.color = QColor(10, 20, 30)
        self.path = QPainterPath()
        self.point = QPointF(3.0, 4.0)


VOID_CALLS: dict[str, Callable[[_Targets], object]] = {
    "QGraphicsItem.setPos(x, y)": lambda t: t.item.setPos(1.0, 2.0),
    "QGraphicsItem.setPos(QPointF)": lambda t: t.item.setPos(t.point),
    "QGraphicsItem.setZValue": lambda t: t.item.setZValue(1.0),
    "QGraphicsItem.setRotation": lambda t: t.item.setRotation(15.0),
    "QPen.setWidthF": lambda t: t.pen.setWidthF(1.5),
    "QPen.setColor": lambda t: t.pen.setColor(t.color),
    "QPen.setStyle": lambda t: t.pen.setStyle(Qt.PenStyle.DashLine),
    "QPainterPath.moveTo": lambda t: t.path.moveTo(0.0, 0.0),
    "QPainterPath.lineTo": lambda t: t.path.lineTo(5.0, 5.0),
    "QPainterPath.cubicTo": lambda t: t.path.cubicTo(1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
}


@pytest.mark.parametrize("name", list(VOID_CALLS))
def test_void_calls_keep_none_refcount(qapp: QApplication, name: str) -> None:
    call, targets = VOID_CALLS[name], _Targets()
    call(targets)  # warm up: a first call may fill caches that hold None
    gc.collect()
    before = sys.getrefcount(None)
    for done in range(BATCH, CALLS + 1, BATCH):
        for _ in range(BATCH):
            call(targets)
        now = sys.getrefcount(None)
        assert now >= before, (
            f"{name}: None's refcount fell from {before} to {now} after {done} calls "
            "(the PySide6 6.12.0 void-return bug)"
        )
