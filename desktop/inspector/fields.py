"""One editor widget per JSON-schema field shape: text, multiline text, choice, number,
flag, list of strings, and raw JSON for anything else."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

MULTILINE_FIELDS = frozenset({"prompt", "template", "system"})
INVALID_STYLE = "border: 1px solid #e0413a;"
_UNSET = object()
SPIN_MAX = 2**31 - 1


@dataclass
class FieldShape:
    """What a schema property looks like, reduced to what picks an editor."""

    name: str
    type: str = "json"
    nullable: bool = False
    enum: list[Any] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    has_default: bool = False
    description: str = ""
    title: str = ""


def field_label(name: str) -> str:
    """`max_tokens` → "Max tokens", `timeout_s` → "Timeout (s)"."""
    unit = ""
    for suffix, text in (("_s", " (s)"), ("_usd", " (USD)")):
        if name.endswith(suffix):
            name, unit = name[: -len(suffix)], text
    return name.replace("_", " ").capitalize() + unit


def field_shape(name: str, prop: dict[str, Any], defs: dict[str, Any]) -> FieldShape:
    shape = FieldShape(
        name,
        default=prop.get("default"),
        has_default="default" in prop,
        description=prop.get("description", ""),
        title=field_label(name),
    )
    core = prop
    options = prop.get("anyOf")
    if options:
        rest = [o for o in options if o.get("type") != "null"]
        shape.nullable = len(rest) < len(options)
        core = rest[0] if len(rest) == 1 else {}
    if "$ref" in core:
        core = defs.get(core["$ref"].rsplit("/", 1)[-1], {})
    kind = core.get("type")
    if "enum" in core:
        shape.type, shape.enum = "enum", list(core["enum"])
    elif kind in ("string", "boolean"):
        shape.type = kind
    elif kind in ("integer", "number"):
        shape.type = kind
        shape.minimum = core.get("minimum", core.get("exclusiveMinimum"))
        shape.maximum = core.get("maximum", core.get("exclusiveMaximum"))
        too_big = kind == "integer" and (shape.maximum or 0) > SPIN_MAX  # a spin box is 32-bit
        if shape.nullable or too_big:
            shape.type = f"{kind}_text"
    elif kind == "array" and core.get("items", {}).get("type") == "string":
        shape.type = "string_list"
    if shape.type == "string" and name in MULTILINE_FIELDS:
        shape.type = "multiline"
    return shape


class FieldEditor(QObject):
    """Wraps one widget. `committed` fires when the user finishes an edit; `refused`
    instead when what they typed does not parse."""

    committed = Signal()
    refused = Signal()

    def __init__(self, shape: FieldShape, widget: QWidget) -> None:
        super().__init__(widget)
        self.shape = shape
        self.widget = widget
        widget.setToolTip(shape.description)
        widget.setObjectName(f"field_{shape.name}")

    def value(self) -> Any:
        raise NotImplementedError

    def show_value(self, value: Any) -> None:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show `value` without emitting `committed`."""
        blocked = self.widget.blockSignals(True)
        try:
            self.show_value(value)
        finally:
            self.widget.blockSignals(blocked)
        self.widget.setStyleSheet("")

    def valid(self) -> bool:
        try:
            self.value()
        except ValueError:
            return False
        return True

    def refusal(self) -> str:
        """Why what the user typed is refused ("" when it parses)."""
        try:
            self.value()
        except ValueError as exc:
            return str(exc)
        return ""

    def commit(self) -> None:
        """The user is done: announce the value if it parses, else mark the field."""
        ok = self.valid()
        self.widget.setStyleSheet("" if ok else INVALID_STYLE)
        if ok:
            self.committed.emit()
        else:
            self.refused.emit()


class _LineEditor(FieldEditor):
    def __init__(self, shape: FieldShape) -> None:
        line = QLineEdit()
        super().__init__(shape, line)
        self.line = line
        if shape.nullable:
            self.line.setPlaceholderText("(default)" if shape.default is None else "")
        self.line.editingFinished.connect(self.commit)

    def parse(self, text: str) -> Any:
        return text

    def format(self, value: Any) -> str:
        return "" if value is None else str(value)

    def value(self) -> Any:
        text = self.line.text()
        if self.shape.nullable and not text.strip():
            return None
        return self.parse(text)

    def show_value(self, value: Any) -> None:
        text = self.format(value)
        if self.line.text() != text:
            self.line.setText(text)


class TextEditor(_LineEditor):
    pass


class NumberTextEditor(_LineEditor):
    def parse(self, text: str) -> Any:
        whole = self.shape.type != "number_text"
        try:
            number = int(text) if whole else float(text)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise ValueError(f"should be {kind}, not {text.strip()!r}") from None
        low, high = self.shape.minimum, self.shape.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"should be between {_num(low)} and {_num(high)}, not {text.strip()}")
        return number


def _num(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


class StringListEditor(_LineEditor):
    def __init__(self, shape: FieldShape) -> None:
        super().__init__(shape)
        self.line.setPlaceholderText("comma, separated, names")

    def parse(self, text: str) -> Any:
        return [part.strip() for part in text.split(",") if part.strip()]

    def format(self, value: Any) -> str:
        return ", ".join(str(v) for v in value) if isinstance(value, list) else ""


class _CommitOnFocusOut(QPlainTextEdit):
    focus_lost = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_lost.emit()


class MultilineEditor(FieldEditor):
    def __init__(self, shape: FieldShape, monospace: bool = False) -> None:
        text = _CommitOnFocusOut()
        super().__init__(shape, text)
        self.text = text
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(70)
        self.text.setMaximumHeight(140)
        if monospace:
            self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.focus_lost.connect(self.commit)

    def value(self) -> Any:
        text = self.text.toPlainText()
        return None if self.shape.nullable and not text.strip() else text

    def show_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.text.toPlainText() != text:
            self.text.setPlainText(text)


class JsonEditor(MultilineEditor):
    """Fallback for nested objects and lists: edit the JSON text."""

    def __init__(self, shape: FieldShape) -> None:
        super().__init__(shape, monospace=True)
        self.text.setPlaceholderText("JSON")

    def value(self) -> Any:
        text = self.text.toPlainText().strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(str(exc)) from None

    def show_value(self, value: Any) -> None:
        text = "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
        if self.text.toPlainText().strip() != text:
            self.text.setPlainText(text)


class ChoiceEditor(FieldEditor):
    def __init__(self, shape: FieldShape) -> None:
        combo = QComboBox()
        super().__init__(shape, combo)
        self.combo = combo
        if shape.nullable:
            self.combo.addItem("(default)", None)
        for option in shape.enum:
            self.combo.addItem(str(option), option)
        self.combo.activated.connect(lambda _index: self.commit())

    def value(self) -> Any:
        return self.combo.currentData()

    def show_value(self, value: Any) -> None:
        index = self.combo.findData(value)
        self.combo.setCurrentIndex(max(index, 0))


class FlagEditor(FieldEditor):
    def __init__(self, shape: FieldShape) -> None:
        check = QCheckBox()
        super().__init__(shape, check)
        self.check = check
        self.check.toggled.connect(lambda _on: self.commit())

    def value(self) -> Any:
        return self.check.isChecked()

    def show_value(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class SpinEditor(FieldEditor):
    def __init__(self, shape: FieldShape) -> None:
        spin: QSpinBox | QDoubleSpinBox
        if shape.type == "integer":
            spin = QSpinBox()
            spin.setRange(
                int(_bound(shape.minimum, -(2**31))), int(_bound(shape.maximum, 2**31 - 1))
            )
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(3)
            spin.setSingleStep(0.1)
            spin.setRange(_bound(shape.minimum, -1e12), _bound(shape.maximum, 1e12))
        spin.setKeyboardTracking(False)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        super().__init__(shape, spin)
        self.spin = spin
        spin.valueChanged.connect(lambda _v: self.commit())

    def value(self) -> Any:
        return self.spin.value()

    def show_value(self, value: Any) -> None:
        if isinstance(value, int | float):
            self.spin.setValue(value)  # type: ignore[arg-type]


def _bound(value: float | None, fallback: float) -> float:
    return float(value) if value is not None else fallback


def make_editor(shape: FieldShape) -> FieldEditor:
    editors: dict[str, type[FieldEditor]] = {
        "string": TextEditor,
        "multiline": MultilineEditor,
        "enum": ChoiceEditor,
        "boolean": FlagEditor,
        "integer": SpinEditor,
        "number": SpinEditor,
        "integer_text": NumberTextEditor,
        "number_text": NumberTextEditor,
        "string_list": StringListEditor,
    }
    return editors.get(shape.type, JsonEditor)(shape)  # type: ignore[call-arg]
