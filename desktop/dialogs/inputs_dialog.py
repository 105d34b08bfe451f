"""The run inputs dialog, generated from the workflow's declared inputs (type, default,
description); the values last used for a workflow are remembered in QSettings."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.run.qt import named
from engine.workflow.model import InputDecl, Workflow

MISSING = object()


def settings_key(workflow: Workflow, path: str | None) -> str:
    ident = path or workflow.metadata.name
    return "run_inputs/" + hashlib.sha1(ident.encode()).hexdigest()[:16]


def remembered(settings: QSettings, key: str) -> dict[str, Any]:
    raw = settings.value(key, "")
    try:
        data = json.loads(str(raw)) if raw else {}
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def initial_values(workflow: Workflow, settings: QSettings, key: str) -> dict[str, Any]:
    """Remembered values, else declared defaults (inputs with neither are left out)."""
    last = remembered(settings, key)
    values: dict[str, Any] = {}
    for decl in workflow.inputs:
        if decl.name in last:
            values[decl.name] = last[decl.name]
        elif decl.default is not None:
            values[decl.name] = decl.default
    return values


def missing_required(workflow: Workflow, values: dict[str, Any]) -> list[str]:
    return [d.name for d in workflow.inputs if d.required and values.get(d.name) is None]


class RunInputsDialog(QDialog):
    def __init__(
        self, workflow: Workflow, settings: QSettings, key: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Run {workflow.metadata.name}")
        self.setObjectName("inputs_dialog")
        self.workflow, self.settings, self.key = workflow, settings, key
        self.editors: dict[str, QWidget] = {}
        self.result_values: dict[str, Any] = {}
        layout = QVBoxLayout(self)
        if workflow.metadata.description:
            layout.addWidget(QLabel(workflow.metadata.description, wordWrap=True))
        form = QFormLayout()
        start = initial_values(workflow, settings, key)
        for decl in workflow.inputs:
            editor = self._editor(decl, start.get(decl.name, MISSING))
            editor.setObjectName(f"input_{decl.name}")
            editor.setToolTip(decl.description)
            self.editors[decl.name] = editor
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(editor)
            if decl.description:
                note = QLabel(decl.description, wordWrap=True)
                note.setEnabled(False)
                column.addWidget(note)
            star = " *" if decl.required else ""
            form.addRow(f"{decl.name} ({decl.type}){star}", box)
        layout.addLayout(form)
        self.error = named(QLabel(wordWrap=True), "error")
        self.error.setStyleSheet("color: #e0413a;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        run = buttons.button(QDialogButtonBox.StandardButton.Ok)
        run.setText("Run")
        run.setObjectName("run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _editor(self, decl: InputDecl, value: Any) -> QWidget:
        has = value is not MISSING and value is not None
        if decl.type == "boolean":
            box = QCheckBox()
            box.setChecked(bool(value) if has else False)
            return box
        if decl.type == "integer" and (not has or isinstance(value, int)):
            spin = QSpinBox()
            spin.setRange(-(2**31), 2**31 - 1)
            spin.setValue(int(value) if has else 0)
            return spin
        if decl.type == "number" and (not has or isinstance(value, int | float)):
            dspin = QDoubleSpinBox()
            dspin.setRange(-1e12, 1e12)
            dspin.setDecimals(6)
            dspin.setValue(float(value) if has else 0.0)
            return dspin
        if (
            decl.type == "string"
            and (not has or isinstance(value, str))
            and "\n" not in (value if has else "")
        ):
            line = QLineEdit(value if has else "")
            line.setPlaceholderText("required" if decl.required else "")
            return line
        text = QPlainTextEdit()
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        text.setPlaceholderText("JSON value" if decl.type != "string" else "")
        if has:
            text.setPlainText(
                value if decl.type == "string" else json.dumps(value, indent=2, ensure_ascii=False)
            )
        text.setMaximumHeight(120)
        return text

    def values(self) -> dict[str, Any]:
        """The entered values; raises ValueError naming the first bad one."""
        values: dict[str, Any] = {}
        for decl in self.workflow.inputs:
            editor = self.editors[decl.name]
            if isinstance(editor, QCheckBox):
                values[decl.name] = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                values[decl.name] = editor.value()
            elif isinstance(editor, QLineEdit):
                if editor.text() or decl.required:
                    values[decl.name] = editor.text()
            elif isinstance(editor, QPlainTextEdit):
                text = editor.toPlainText()
                if decl.type == "string":
                    values[decl.name] = text
                elif text.strip():
                    try:
                        values[decl.name] = json.loads(text)
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{decl.name}: not JSON ({exc.msg})") from None
            if decl.required and values.get(decl.name) in (None, ""):
                raise ValueError(f"{decl.name} is required")
        return values

    def accept(self) -> None:
        try:
            self.result_values = self.values()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.settings.setValue(self.key, json.dumps(self.result_values, default=repr))
        super().accept()
