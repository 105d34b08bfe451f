"""A multi-line value editor that knows JSON: monospaced, keys, strings, numbers and
literals coloured, and the value read back as JSON (or as plain text for a text value)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from desktop.canvas.style import is_dark

_RULES = (
    (r'"(?:[^"\\]|\\.)*"(?=\s*:)', ("#8a3ffc", "#c5a3ff")),  # keys
    (r'"(?:[^"\\]|\\.)*"', ("#17693a", "#7fd69b")),  # strings
    (r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b", ("#b35c00", "#f0a35e")),  # numbers
    (r"\b(?:true|false|null)\b", ("#1f5fbf", "#79aef2")),  # literals
)


def dumps(value: Any) -> str:
    """A value as the editor shows it: indented JSON, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=repr)


class JsonHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        dark = is_dark()
        self._rules: list[tuple[QRegularExpression, QTextCharFormat]] = []
        for pattern, (light_color, dark_color) in _RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(dark_color if dark else light_color))
            self._rules.append((QRegularExpression(pattern), fmt))

    def highlightBlock(self, text: str) -> None:
        done: list[tuple[int, int]] = []  # keys first, so a key is not re-coloured as a string
        for regex, fmt in self._rules:
            matches = regex.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                start, length = match.capturedStart(), match.capturedLength()
                if any(s <= start < s + n for s, n in done):
                    continue
                self.setFormat(start, length, fmt)
                done.append((start, length))


class JsonValueEditor(QPlainTextEdit):
    """Shows a value whole: a text value as its text, anything else as indented JSON
    (highlighted). `value()` reads it back the same way; it raises JSONDecodeError."""

    def __init__(self, value: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text_value = isinstance(value, str)
        self.highlighter = None if self.text_value else JsonHighlighter(self.document())
        self.set_value(value)

    def set_value(self, value: Any) -> None:
        self.setPlainText(value if isinstance(value, str) else dumps(value))

    def value(self) -> Any:
        text = self.toPlainText()
        return text if self.text_value else json.loads(text)
