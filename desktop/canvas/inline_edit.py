"""In-place editors over the canvas: a line edit over a node's or frame's title, a text
box over a sticky note. Enter (Ctrl+Enter for notes) or leaving commits; Esc cancels."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QFocusEvent, QFont, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget


class InlineEditor(QLineEdit):
    """Emits `committed(text)` once, or nothing when cancelled; then deletes itself."""

    committed = Signal(str)

    def __init__(self, parent: QWidget, text: str, rect: QRect, font: QFont) -> None:
        super().__init__(text, parent)
        self.setObjectName("inline_editor")
        self.setFont(font)
        self.setGeometry(rect.adjusted(-2, -2, 2, 2))
        self.selectAll()
        self._done = False
        self.show()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def finish(self, commit: bool) -> None:
        if self._done:
            return
        self._done = True
        if commit:
            self.committed.emit(self.text())
        self.hide()
        self.deleteLater()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish(True)
        elif event.key() == Qt.Key.Key_Escape:
            self.finish(False)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.finish(True)


class InlineTextEditor(QPlainTextEdit):
    """The multi-line variant for notes: Ctrl+Enter or leaving commits, Esc cancels."""

    committed = Signal(str)

    def __init__(self, parent: QWidget, text: str, rect: QRect, font: QFont) -> None:
        super().__init__(text, parent)
        self.setObjectName("inline_text_editor")
        self.setFont(font)
        self.setGeometry(rect)
        self.selectAll()
        self._done = False
        self.show()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def finish(self, commit: bool) -> None:
        if self._done:
            return
        self._done = True
        if commit:
            self.committed.emit(self.toPlainText())
        self.hide()
        self.deleteLater()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.finish(True)
        elif event.key() == Qt.Key.Key_Escape:
            self.finish(False)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.finish(True)
