"""The two editable tables of the eval-file form: scorers (type, output, expected, threshold
and the type's own setting) and variants (name, node and that node's overrides)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.evaluate.form_data import (
    SCORER_TIPS,
    SCORER_TYPES,
    SETTING_HINTS,
    ScorerRow,
    VariantRow,
)
from desktop.run.qt import named

SCORER_HEADERS = ["Id", "Type", "Output", "Expected", "Threshold", "Setting"]
VARIANT_HEADERS = ["Variant", "Node", "Model", "Route", "Prompt", "Temperature"]


def _line(text: str = "", placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setPlaceholderText(placeholder)
    edit.setFrame(False)
    edit.setCursorPosition(0)  # a long prompt shows its start
    return edit


def _combo(values: list[str], current: str, editable: bool, placeholder: str = "") -> QComboBox:
    combo = QComboBox()
    combo.setEditable(editable)
    combo.addItems(values)
    if editable:
        line = combo.lineEdit()
        if line is not None:
            line.setPlaceholderText(placeholder)
        combo.setCurrentText(current)
    elif current in values:
        combo.setCurrentText(current)
    return combo


class _RowsTable(QWidget):
    """A table of widget rows with Add and Remove buttons."""

    def __init__(self, name: str, headers: list[str], add_text: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = named(QTableWidget(0, len(headers)), name)
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = named(QPushButton(add_text), f"add_{name}")
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button = named(QPushButton("Remove"), f"remove_{name}")
        self.remove_button.clicked.connect(self._on_remove)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def tip(self, column: int, text: str) -> None:
        item = self.table.horizontalHeaderItem(column)
        if item is not None:
            item.setToolTip(text)

    def add_row(self) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        return row

    def _on_remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)

    def text(self, row: int, column: int) -> str:
        widget = self.table.cellWidget(row, column)
        if isinstance(widget, QComboBox):
            return widget.currentText()
        if isinstance(widget, QLineEdit):
            return widget.text()
        return ""

    def clear(self) -> None:
        self.table.setRowCount(0)

    def set_choices(self, column: int, values: list[str]) -> None:
        """Offer `values` in the column's editable combos, keeping what each shows."""
        for row in range(self.table.rowCount()):
            combo = self.table.cellWidget(row, column)
            if isinstance(combo, QComboBox):
                text = combo.currentText()
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(values)
                combo.setCurrentText(text)
                combo.blockSignals(False)


class ScorersTable(_RowsTable):
    def __init__(self) -> None:
        super().__init__("scorers", SCORER_HEADERS, "Add scorer")
        self.outputs: list[str] = []
        self.tip(2, "The workflow output (or node.port) to score; empty: its only output")
        self.tip(3, "The dataset's expected column; empty: expected.OUTPUT, then expected")
        self.tip(4, "A row passes at or above this score; empty: 1.0 (0.5 for graded scorers)")

    def add_row(self, scorer: ScorerRow | None = None) -> int:
        if scorer is None:  # a workflow with several outputs: the scorer must name one
            scorer = ScorerRow(
                self._free_id(), output=self.outputs[0] if len(self.outputs) > 1 else ""
            )
        row = super().add_row()
        kind = _combo(SCORER_TYPES, scorer.type, editable=False)
        for at, name in enumerate(SCORER_TYPES):
            kind.setItemData(at, SCORER_TIPS[name], Qt.ItemDataRole.ToolTipRole)
        kind.setToolTip(SCORER_TIPS.get(scorer.type, ""))
        kind.currentTextChanged.connect(lambda t, k=kind: k.setToolTip(SCORER_TIPS.get(t, "")))
        setting = _line(scorer.setting, SETTING_HINTS.get(scorer.type, ""))
        kind.currentTextChanged.connect(
            lambda t, s=setting: s.setPlaceholderText(SETTING_HINTS.get(t, ""))
        )
        cells: list[QWidget] = [
            _line(scorer.id, "name"),
            kind,
            _combo(self.outputs, scorer.output, editable=True, placeholder=self._output_hint()),
            _line(scorer.expected, "expected column"),
            _line(scorer.threshold, "default"),
            setting,
        ]
        for column, widget in enumerate(cells):
            self.table.setCellWidget(row, column, widget)
        return row

    def set_outputs(self, outputs: list[str]) -> None:
        self.outputs = list(outputs)
        self.set_choices(2, self.outputs)
        for row in range(self.table.rowCount()):
            combo = self.table.cellWidget(row, 2)
            line = combo.lineEdit() if isinstance(combo, QComboBox) else None
            if line is not None:
                line.setPlaceholderText(self._output_hint())

    def _output_hint(self) -> str:
        return "the only output" if len(self.outputs) <= 1 else "choose an output"

    def _free_id(self) -> str:
        taken = {self.text(r, 0) for r in range(self.table.rowCount())}
        base = "correct" if "correct" not in taken else "score"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        return name

    def rows(self) -> list[ScorerRow]:
        return [
            ScorerRow(*(self.text(r, c) for c in range(len(SCORER_HEADERS))))
            for r in range(self.table.rowCount())
        ]

    def set_rows(self, rows: list[ScorerRow]) -> None:
        self.clear()
        for scorer in rows:
            self.add_row(scorer)


class VariantsTable(_RowsTable):
    def __init__(self) -> None:
        super().__init__("variants", VARIANT_HEADERS, "Add variant")
        self.nodes: list[str] = []
        self.tip(
            1,
            "The llm node this row changes; empty: the variant runs the workflow unchanged. "
            "Rows with the same variant name change several nodes.",
        )
        self.tip(3, "Route policy fields merged over the node's route, e.g. {prefer: remote}")

    def set_nodes(self, nodes: list[str]) -> None:
        self.nodes = list(nodes)
        self.set_choices(1, self.nodes)

    def add_row(self, variant: VariantRow | None = None) -> int:
        variant = variant or VariantRow(f"v{self.table.rowCount() + 1}")
        row = super().add_row()
        cells: list[QWidget] = [
            _line(variant.name, "name"),
            _combo(self.nodes, variant.node, editable=True, placeholder="(no change)"),
            _line(variant.model, "model id"),
            _line(variant.route, "{prefer: local}"),
            _line(variant.prompt, "prompt"),
            _line(variant.temperature, "0..2"),
        ]
        for column, widget in enumerate(cells):
            self.table.setCellWidget(row, column, widget)
        return row

    def rows(self) -> list[VariantRow]:
        return [
            VariantRow(*(self.text(r, c) for c in range(len(VARIANT_HEADERS))))
            for r in range(self.table.rowCount())
        ]

    def set_rows(self, rows: list[VariantRow]) -> None:
        self.clear()
        for variant in rows:
            self.add_row(variant)
