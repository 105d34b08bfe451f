"""A workflow file that could not be read or parsed at all, and the read-only view of it in
the window: the problem with its line and column, the raw text with that line marked, and
Reload. Nothing is salvaged from such a file, so the window never saves over it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.errors import Problem, WorkflowLoadError
from engine.workflow.lenient import LenientLoad
from engine.workflow.loader import MAX_FILE_BYTES, parse_yaml

SHOWN_BYTES = 256 * 1024
"""How much of a file too large to open is shown."""


@dataclass(frozen=True)
class UnreadableFile:
    path: Path
    problems: list[Problem]
    text: str
    """The file's text as far as it could be read (undecodable bytes replaced)."""


def unreadable(path: Path, loaded: LenientLoad) -> UnreadableFile | None:
    """`path` as an unreadable file when `loaded` came back empty because the file could
    not be read, decoded or parsed as a YAML mapping; None when it opened, perhaps with
    parts salvaged (then saving keeps what was salvaged, as the problems say)."""
    if not loaded.problems or loaded.workflow.nodes or loaded.annotations:
        return None
    problems = list(loaded.problems)
    if not path.is_file():  # a FIFO or a device is never opened: reading it could block
        return UnreadableFile(path, problems, "")
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError:
        return UnreadableFile(path, problems, "")
    if len(raw) > MAX_FILE_BYTES:
        return UnreadableFile(path, problems, raw[:SHOWN_BYTES].decode("utf-8", "replace"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return UnreadableFile(path, problems, raw.decode("utf-8", "replace"))
    try:
        data, _ = parse_yaml(text)
    except WorkflowLoadError:
        return UnreadableFile(path, problems, text)
    if data is not None and not isinstance(data, dict):
        return UnreadableFile(path, problems, text)
    return None


class UnreadableFileView(QWidget):
    """Shown instead of the canvas while an unreadable file is open."""

    reload_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unreadable_file")
        self.file: UnreadableFile | None = None
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.problem = QLabel()
        self.problem.setObjectName("unreadable_problem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setStyleSheet("color: #e0413a;")
        self.advice = QLabel(
            "Nothing could be read from this file, so it is shown as text and Save is off: "
            "saving would replace it. Fix it in a text editor, then Reload."
        )
        self.advice.setWordWrap(True)
        self.reload_button = QPushButton("&Reload")
        self.reload_button.setObjectName("reload_file")
        self.reload_button.clicked.connect(self.reload_requested)
        row = QHBoxLayout()
        row.addWidget(self.advice, 1)
        row.addWidget(self.reload_button)
        self.text = QPlainTextEdit()
        self.text.setObjectName("unreadable_text")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        for widget in (self.heading, self.problem):
            layout.addWidget(widget)
        layout.addLayout(row)
        layout.addWidget(self.text, 1)

    def show_file(self, file: UnreadableFile) -> None:
        self.file = file
        name = file.path.name
        self.heading.setText(f"<h3>Cannot open {_esc(name)}</h3>{_esc(str(file.path))}")
        self.problem.setText("\n".join(p.format(name) for p in file.problems))
        self.text.setPlainText(file.text)
        first = file.problems[0] if file.problems else Problem("")
        self._mark(first.line, first.column)

    def _mark(self, line: int, column: int) -> None:
        """Put the cursor at the problem and mark its line."""
        block = self.text.document().findBlockByNumber(max(0, line - 1))
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(
            QTextCursor.MoveOperation.Right,
            QTextCursor.MoveMode.MoveAnchor,
            min(max(0, column - 1), max(0, block.length() - 1)),
        )
        self.text.setTextCursor(cursor)
        mark = QTextEdit.ExtraSelection()
        mark.cursor = cursor
        mark.format.setBackground(QColor(224, 65, 58, 60))
        mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        self.text.setExtraSelections([mark])
        self.text.centerCursor()

    def marked_line(self) -> int:
        """The 1-based line the cursor (at the problem) is on."""
        return self.text.textCursor().blockNumber() + 1


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
