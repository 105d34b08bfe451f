"""The start panel over an empty untitled canvas: New, Open…, the recent files and a card
per bundled example. It only asks; the window decides what each choice does."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.resources import example_title, icon

CARD_COLUMNS = 3


class StartPanel(QFrame):
    """Centred on its parent (the canvas view) and kept there as the parent resizes."""

    new_requested = Signal()
    open_requested = Signal()
    recent_chosen = Signal(str)
    example_chosen = Signal(Path)

    def __init__(self, examples: list[Path], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("start_panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.example_cards: dict[Path, QToolButton] = {}
        self.recent_buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        heading = QLabel("<h2>Start</h2>")
        layout.addWidget(heading)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New workflow")
        self.new_button.clicked.connect(self.new_requested)
        self.open_button = QPushButton("Open…")
        self.open_button.clicked.connect(self.open_requested)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.recent_box = QVBoxLayout()
        self.recent_label = QLabel("<b>Recent</b>")
        layout.addWidget(self.recent_label)
        layout.addLayout(self.recent_box)
        layout.addWidget(QLabel("<b>New from example</b> (opens a copy; Save asks where)"))
        grid = QGridLayout()
        for index, path in enumerate(examples):
            card = QToolButton()
            card.setText(example_title(path))
            card.setToolTip(str(path))
            card.setIcon(icon("interlock"))
            card.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            card.setMinimumSize(130, 70)
            card.clicked.connect(partial(self.example_chosen.emit, path))
            grid.addWidget(card, index // CARD_COLUMNS, index % CARD_COLUMNS)
            self.example_cards[path] = card
        layout.addLayout(grid)
        parent.installEventFilter(self)

    def set_recent(self, files: list[str]) -> None:
        """List `files` (newest first, at most five) as buttons that reopen them."""
        while (item := self.recent_box.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                widget.deleteLater()
        self.recent_buttons = {}
        for path in files[:5]:
            button = QPushButton(f"{Path(path).name}   ({Path(path).parent})")
            button.setFlat(True)
            button.setStyleSheet("text-align: left")
            button.setToolTip(path)
            button.clicked.connect(partial(self.recent_chosen.emit, path))
            self.recent_box.addWidget(button)
            self.recent_buttons[path] = button
        self.recent_label.setVisible(bool(files))
        self.recentre()

    def recentre(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        self.adjustSize()
        self.move((parent.width() - self.width()) // 2, (parent.height() - self.height()) // 2)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.recentre()
        return False
