"""Adding a past run to a dataset: the dataset's name (existing ones offered), the run's
inputs, and its outputs as the expected values in an editable JSON box to confirm or fix."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.run.qt import named
from engine.store.protocol import RunRecord


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


class AddToDatasetDialog(QDialog):
    def __init__(
        self, run: RunRecord, names: list[str], default: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("add_to_dataset_dialog")
        self.setWindowTitle(f"Add run {run.run_id} to a dataset")
        self.resize(560, 520)
        self.run = run
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = named(QComboBox(), "dataset_name")
        self.name.setEditable(True)
        self.name.addItems(names)
        self.name.setCurrentText(default or (names[0] if names else ""))
        line = self.name.lineEdit()
        if line is not None:
            line.setPlaceholderText("a new or existing dataset")
        self.name.currentTextChanged.connect(lambda _: self._check())
        form.addRow("Dataset", self.name)
        layout.addLayout(form)
        layout.addWidget(QLabel(f"Inputs of the run ({run.workflow_name}, {run.status})"))
        self.inputs = named(QPlainTextEdit(_json(run.inputs)), "run_inputs")
        self.inputs.setReadOnly(True)
        self.inputs.setFont(mono)
        layout.addWidget(self.inputs, 1)
        layout.addWidget(
            QLabel("Expected values (the run's outputs): edit them into the right answer")
        )
        self.expected = named(QPlainTextEdit(_json(run.outputs)), "expected_json")
        self.expected.setFont(mono)
        self.expected.textChanged.connect(self._check)
        layout.addWidget(self.expected, 2)
        self.problem = named(QLabel(), "expected_problem")
        self.problem.setStyleSheet("color:#e0413a")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Add to Dataset")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._check()

    def expected_value(self) -> Any:
        """The edited expected values. Raises ValueError when the text is not JSON."""
        try:
            return json.loads(self.expected.toPlainText())
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg} (line {exc.lineno})") from None

    def dataset_name(self) -> str:
        return self.name.currentText().strip()

    def _check(self) -> bool:
        problem = ""
        try:
            self.expected_value()
        except ValueError as exc:
            problem = f"Expected values are {exc}"
        if not self.dataset_name():
            problem = problem or "Name the dataset"
        self.problem.setText(problem)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not problem)
        return not problem

    def accept(self) -> None:
        if self._check():
            super().accept()
