"""An allow-list field that tells "unset" (anything allowed) from an empty list (nothing
allowed): a "Only those listed" check box beside the comma-separated names."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QWidget

from desktop.inspector.fields import FieldShape
from desktop.inspector.policy_form import _GroupEditor


class AllowListEditor(_GroupEditor):
    """None while the box is off (`anything`); a list, maybe empty, while it is on. Typing
    names turns it on; clearing them with the box on leaves an empty list (`nothing`)."""

    def __init__(self, shape: FieldShape, anything: str, nothing: str) -> None:
        super().__init__(shape, QWidget())
        self.anything, self.nothing = anything, nothing
        self._shown: list[str] = []
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit()
        self.line.setObjectName(f"field_{shape.name}")
        self.line.setToolTip(shape.description)
        self.only = QCheckBox("Only those listed")
        self.only.setObjectName(f"field_{shape.name}_only")
        self.only.setToolTip(f"Off: {anything}. On with no names: {nothing}.")
        row.addWidget(self.line, 1)
        row.addWidget(self.only)
        self.line.editingFinished.connect(self._on_line)
        self.only.toggled.connect(self._on_only)
        self._placeholder()

    def _on_line(self) -> None:
        if self._names() != self._shown:
            self.commit()

    def _on_only(self, _on: bool) -> None:
        self._placeholder()
        self.commit()

    def _names(self) -> list[str]:
        return [part.strip() for part in self.line.text().split(",") if part.strip()]

    def _placeholder(self) -> None:
        self.line.setPlaceholderText(self.nothing if self.only.isChecked() else self.anything)

    def value(self) -> Any:
        names = self._names()
        return names if names or self.only.isChecked() else None

    def show_value(self, value: Any) -> None:
        names = [str(v) for v in value] if isinstance(value, list) else []
        self._shown = names
        self.only.setChecked(isinstance(value, list))
        text = ", ".join(names)
        if self.line.text() != text:
            self.line.setText(text)
        self._placeholder()


def allowed_models_editor(shape: FieldShape) -> AllowListEditor:
    """`policy.allowed_models`: unset, any configured model; an empty list, none."""
    return AllowListEditor(shape, "any configured model", "none: no model may be used")
