"""The wheel scrolls forms, never a setting the pointer happens to pass over: a combo box
or spin box changes its value by the wheel only once it has the keyboard focus (clicked
or tabbed into); otherwise the wheel goes to the page around it."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox

GUARDED = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    """An application event filter (see `install_wheel_guard`)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(watched, GUARDED):
            return False
        if event.type() == QEvent.Type.Polish:  # before it shows: the wheel gives no focus
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if event.type() != QEvent.Type.Wheel or watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:  # the page around it scrolls instead
            wheel = event if isinstance(event, QWheelEvent) else None
            sideways = wheel is not None and wheel.angleDelta().y() == 0
            bar = area.horizontalScrollBar() if sideways else area.verticalScrollBar()
            QCoreApplication.sendEvent(bar, event)
        return True


def install_wheel_guard(app: QApplication) -> None:
    """Guard every combo box and spin box of `app` (once per application)."""
    if app.property("interlock_wheel_guard"):
        return
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    app.setProperty("interlock_wheel_guard", True)
