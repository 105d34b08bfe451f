"""The end-of-run summary: a card in a corner of the canvas with the run's status, duration,
tokens, cost and outputs (whole), read from the engine's fold of the run, with collapse,
Export and close buttons. It takes the first corner that covers no node (top right, bottom
right, top left, bottom left); with none free it opens collapsed to its one-line header in
the corner it covers least. Shown when a run ends, hidden when the next one starts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
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


Obstacles = Callable[[], list[QRect]]
"""What the card should not cover (nodes, the minimap), in the view's coordinates."""


class RunSummaryView(QFrame):
    """Child of the canvas view, kept in a corner of it clear of `obstacles`."""

    def __init__(
        self,
        view: QAbstractScrollArea,
        export_menu: QMenu | None = None,
        obstacles: Obstacles | None = None,
    ) -> None:
        super().__init__(view)
        self.setObjectName("run_summary")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.view = view
        self.obstacles = obstacles
        self.run_id = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 10)
        top = QHBoxLayout()
        self.collapse_button = named(QToolButton(), "summary_collapse")
        self.collapse_button.setCheckable(True)
        self.collapse_button.setAutoRaise(True)
        self.collapse_button.toggled.connect(self._on_collapse)
        top.addWidget(self.collapse_button)
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
        outer.addLayout(top)
        self.body = QWidget()
        self.rows = layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.body)
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
        self._on_collapse(False)
        self.hide()
        view.installEventFilter(self)

    @property
    def collapsed(self) -> bool:
        return self.collapse_button.isChecked()

    def set_collapsed(self, collapsed: bool) -> None:
        self.collapse_button.setChecked(collapsed)

    def _on_collapse(self, collapsed: bool) -> None:
        self.body.setVisible(not collapsed)
        self.collapse_button.setText("▸" if collapsed else "▾")
        self.collapse_button.setToolTip("Show the run's details" if collapsed else "Collapse")
        if collapsed and self.isVisible():  # shrinks where it is: the toggle stays put
            self.adjustSize()
        elif self.isVisible():
            self._fit()

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
        self.set_collapsed(False)
        self._fit()
        if self.covered():  # no corner is free for the whole card: its header only
            self.set_collapsed(True)
            self._fit()
        self.show()
        self.raise_()

    def _fit(self) -> None:
        self.place()  # the width first: the height follows from it
        self.adjustSize()
        self.place()

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
        """Into the first corner of the canvas (inside its scroll bars) that covers nothing,
        else the one that covers least."""
        area = self.view.viewport().geometry()
        self.setFixedWidth(max(MIN_WIDTH, min(WIDTH, area.width() - 2 * MARGIN)))
        corners = _corners(area, self.size())
        best = min(corners, key=self._overlap)  # ties: the earlier corner
        self.move(best.topLeft())

    def covered(self) -> int:
        """How much of what it should not cover the card covers now (pixels)."""
        return self._overlap(self.geometry())

    def _overlap(self, rect: QRect) -> int:
        found = self.obstacles() if self.obstacles is not None else []
        return sum(_area(rect.intersected(o)) for o in found if o.intersects(rect))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self.place()
        return False


def _corners(area: QRect, size: QSize) -> list[QRect]:
    """Top right, bottom right, top left, bottom left of `area`, `MARGIN` in."""
    left = area.left() + MARGIN
    right = max(area.left(), area.right() + 1 - size.width() - MARGIN)
    top = area.top() + MARGIN
    bottom = max(top, area.bottom() + 1 - size.height() - MARGIN)
    return [
        QRect(x, y, size.width(), size.height())
        for x, y in ((right, top), (right, bottom), (left, top), (left, bottom))
    ]


def _area(rect: QRect) -> int:
    return max(0, rect.width()) * max(0, rect.height())
