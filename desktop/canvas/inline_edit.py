"""In-place editors over the canvas: a line edit over a node's or frame's title, a text
box over a sticky note. Enter (Ctrl+Enter for notes) or leaving commits; Esc cancels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QFocusEvent, QFont, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget


class _OneShot:
    """What both editors share: shown focused over `rect`, they emit `committed(text)` once
    (or nothing when cancelled) and then delete themselves. Mixed in before the Qt class."""

    committed: Any  # each editor's own Signal(str)
    _text: Callable[[], str]  # each editor reads its own text

    def _open(self, name: str, rect: QRect, font: QFont) -> None:
        widget: Any = self
        widget.setObjectName(name)
        widget.setFont(font)
        widget.setGeometry(rect)
        widget.selectAll()
        self._done = False
        widget.show()
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def finish(self, commit: bool) -> None:
        if self._done:
            return
        self._done = True
        if commit:
            self.committed.emit(self._text())
        widget: Any = self
        widget.hide()
        widget.deleteLater()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)  # type: ignore[misc]
        self.finish(True)


class InlineEditor(_OneShot, QLineEdit):
    """One line: Enter or leaving commits, Esc cancels."""

    committed = Signal(str)

    def __init__(self, parent: QWidget, text: str, rect: QRect, font: QFont) -> None:
        super().__init__(text, parent)
        self._open("inline_editor", rect.adjusted(-2, -2, 2, 2), font)

    def _text(self) -> str:
        return self.text()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish(True)
        elif event.key() == Qt.Key.Key_Escape:
            self.finish(False)
        else:
            super().keyPressEvent(event)


class InlineTextEditor(_OneShot, QPlainTextEdit):
    """The multi-line variant for notes: Ctrl+Enter or leaving commits, Esc cancels."""

    committed = Signal(str)

    def __init__(self, parent: QWidget, text: str, rect: QRect, font: QFont) -> None:
        super().__init__(text, parent)
        self._open("inline_text_editor", rect, font)

    def _text(self) -> str:
        return self.toPlainText()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.finish(True)
        elif event.key() == Qt.Key.Key_Escape:
            self.finish(False)
        else:
            super().keyPressEvent(event)
