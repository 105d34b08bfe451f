"""The end-of-run summary: a card over the canvas's top-right corner with the run's
status, duration, tokens, cost and outputs (whole), read from the engine's fold of the run,
with Export and close buttons. Shown when a run ends, hidden when the next one starts."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
)

from desktop.dialogs.json_editor import JsonValueEditor
from desktop.run.badges import state_color
from desktop.run.qt import named
from engine.reports import values
from engine.trace.fold import RunState

MARGIN = 12
WIDTH = 340
MIN_WIDTH = 180
OUTPUT_LINES = 6
"""Lines of output shown before the outputs box scrolls."""


class RunSummaryView(QFrame):
    """Child of the canvas view, kept in its top-right corner."""

    def __init__(self, view: QAbstractScrollArea, export_menu: QMenu | None = None) -> None:
        super().__init__(view)
        self.setObjectName("run_summary")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.view = view
        self.run_id = ""
        self.rows = layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        top = QHBoxLayout()
        self.status = named(QLabel(), "summary_status")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        top.addWidget(self.status, 1)
        self.export_button = named(QToolButton(), "summary_export")
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save this run as HTML, PDF, Markdown, OTLP or JSON")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        if export_menu is not None:
            self.export_button.setMenu(export_menu)
        self.export_button.setVisible(export_menu is not None)
        top.addWidget(self.export_button)
        close = named(QToolButton(), "summary_close")
        close.setText("✕")
        close.setToolTip("Hide the run summary")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        top.addWidget(close)
        layout.addLayout(top)
        self.facts = named(QLabel(), "summary_facts")
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.facts)
        self.error = named(QLabel(wordWrap=True), "summary_error")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #e0413a;")
        layout.addWidget(self.error)
        self.outputs_label = QLabel("Outputs")
        layout.addWidget(self.outputs_label)
        self.outputs: QPlainTextEdit = QPlainTextEdit()
        layout.addWidget(self.outputs)
        self.hide()
        view.installEventFilter(self)

    def show_run(self, state: RunState, total: int) -> None:
        """Fill the card from a finished (or paused) run and show it."""
        self.run_id = state.run_id
        color = state_color("waiting" if state.status == "waiting_approval" else state.status)
        label = state.status.replace("_", " ")
        self.status.setText(f"<b style='color: {color.name()}'>Run {label}</b>")
        seconds = state.finished - state.started if state.finished and state.started else None
        done = f"{state.done_count}/{max(total, state.node_count)} nodes"
        tokens = values.tokens(state.prompt_tokens, state.completion_tokens)
        cost = values.usd(state.cost_usd)
        self.facts.setText(
            f"{state.run_id}\n{values.duration(seconds)}  ·  {done}\n{tokens} tokens  ·  {cost}"
        )
        self.error.setText(state.error or "")
        self.error.setVisible(bool(state.error))
        self._show_outputs(state)
        self.place()  # the width first: the height follows from it
        self.adjustSize()
        self.place()
        self.show()
        self.raise_()

    def _show_outputs(self, state: RunState) -> None:
        outputs = state.outputs
        single = len(outputs) == 1 and isinstance(next(iter(outputs.values())), str)
        box: QPlainTextEdit
        if single:
            ((name, value),) = outputs.items()
            self.outputs_label.setText(f"Output <b>{name}</b>")
            box = QPlainTextEdit(value)
        else:
            self.outputs_label.setText("Outputs")
            box = JsonValueEditor(outputs)
        box.setObjectName("summary_outputs")
        box.setReadOnly(True)
        lines = max(1, min(OUTPUT_LINES, box.document().lineCount() + 1))
        box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 12)
        self.rows.replaceWidget(self.outputs, box)
        self.outputs.deleteLater()
        self.outputs = box
        self.outputs_label.setVisible(bool(outputs))
        box.setVisible(bool(outputs))

    def place(self) -> None:
        """Keep to the top-right corner of the canvas (inside its scroll bars)."""
        area = self.view.viewport().geometry()
        self.setFixedWidth(max(MIN_WIDTH, min(WIDTH, area.width() - 2 * MARGIN)))
        left = max(area.left(), area.right() + 1 - self.width() - MARGIN)
        self.move(left, area.top() + MARGIN)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self.place()
        return False
