"""Scrolling the Workflow Settings page with the wheel over a combo box scrolls the page
and changes nothing; once the combo box has the focus, the wheel changes its value (an
edit, undoable)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollArea,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow


def wheel_down(widget: QWidget) -> None:
    """One notch of the wheel, turned towards the user, over the middle of `widget`."""
    at = QPointF(widget.rect().center())
    event = QWheelEvent(
        at,
        QPointF(widget.mapToGlobal(at.toPoint())),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_page_past_a_combo_box_until_it_is_clicked(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.resize(1200, 600)  # the Policy page taller than its dock: it scrolls
    window.settings_ui.show_panel()
    panel = window.settings_ui.panel
    combo = panel.findChild(QComboBox, "executor_kind")
    assert isinstance(combo, QComboBox)
    scroll = combo.parentWidget()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    assert isinstance(scroll, QScrollArea)
    bar = scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.minimum())
    chosen, edits = combo.currentIndex(), window.undo_stack.count()

    # A wheel turned over them gives none of them the focus (Qt's default would).
    guarded = panel.findChildren(QComboBox) + panel.findChildren(QAbstractSpinBox)
    assert len(guarded) >= 3
    assert {w.focusPolicy() for w in guarded} == {Qt.FocusPolicy.StrongFocus}

    window.view.setFocus()  # the pointer passes over the combo box on its way down
    wheel_down(combo)
    assert combo.currentIndex() == chosen and window.undo_stack.count() == edits
    assert not combo.hasFocus()  # the wheel gives it no focus either
    assert bar.value() > bar.minimum()  # the page scrolled instead

    combo.setFocus()  # clicked or tabbed into: now the wheel is for it
    qtbot.waitUntil(combo.hasFocus)
    wheel_down(combo)
    assert combo.currentIndex() != chosen
    assert window.undo_stack.count() == edits + 1
