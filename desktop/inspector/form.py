"""A form generated from a pydantic model's JSON schema: one editor per property."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from pydantic import BaseModel
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from desktop.inspector.fields import FieldEditor, FieldShape, field_shape, make_editor

TALL_EDITORS = frozenset({"multiline", "json"})


class SchemaForm(QWidget):
    """Shows a mapping of values; `field_committed(name, value)` when the user edits one.

    The form never changes its own values: the owner pushes an undo command and the
    document's change event comes back through `set_values`.
    """

    field_committed = Signal(str, object)
    field_refused = Signal(str, str)
    """(field title, why): what the user typed does not parse."""

    def __init__(
        self,
        schema: dict[str, Any],
        defaults: dict[str, Any] | None = None,
        parent: QWidget | None = None,
        multiline: frozenset[str] = frozenset(),
        editors: Mapping[str, Callable[[FieldShape], FieldEditor]] | None = None,
    ) -> None:
        """`defaults`: field defaults the schema cannot show (pydantic default factories);
        `multiline`: text fields edited as several lines; `editors`: a field's own editor
        (the tool picker) instead of the one its schema shape picks."""
        super().__init__(parent)
        self.required = set(schema.get("required", []))
        self.editors: dict[str, FieldEditor] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        defs = schema.get("$defs", {})
        for name, prop in schema.get("properties", {}).items():
            shape = field_shape(name, prop, defs)
            if defaults and name in defaults:
                shape.default, shape.has_default = defaults[name], True
            if name in multiline and shape.type == "string":
                shape.type = "multiline"
            editor = (editors or {}).get(name, make_editor)(shape)
            label = QLabel(shape.title)
            label.setToolTip(shape.description)
            label.setBuddy(editor.widget)
            if _tall(shape):
                layout.addRow(label)
                layout.addRow(editor.widget)
            else:
                layout.addRow(label, editor.widget)
            editor.committed.connect(partial(self._on_committed, name))
            editor.refused.connect(partial(self._on_refused, name))
            self.editors[name] = editor

    def editor(self, name: str) -> FieldEditor:
        return self.editors[name]

    def set_values(self, values: dict[str, Any]) -> None:
        for name, editor in self.editors.items():
            editor.set_value(copy.deepcopy(values.get(name, editor.shape.default)))

    def updated(self, values: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
        """`values` with `name` set to `value`; a value equal to the default is left out."""
        shape = self.editors[name].shape
        result = copy.deepcopy(values)
        unset = (shape.has_default and value == shape.default) or (
            value is None and not shape.has_default and name not in self.required
        )
        if unset:
            result.pop(name, None)
        else:
            result[name] = value
        return result

    def _on_committed(self, name: str) -> None:
        self.field_committed.emit(name, self.editors[name].value())

    def _on_refused(self, name: str) -> None:
        editor = self.editors[name]
        self.field_refused.emit(editor.shape.title, editor.refusal())


def model_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Each optional field's default, default factories called."""
    defaults: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            value = info.get_default(call_default_factory=True)
            defaults[name] = (
                value.model_dump(mode="json") if isinstance(value, BaseModel) else value
            )
    return defaults


def _tall(shape: FieldShape) -> bool:
    return shape.type in TALL_EDITORS or shape.type not in {
        "string",
        "enum",
        "boolean",
        "integer",
        "number",
        "integer_text",
        "number_text",
        "string_list",
    }
