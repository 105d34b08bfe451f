"""A tool node's `arguments` as a form built from the chosen tool's input schema: text,
numbers, true/false, choices and lists of text get their own field (a `{{ template }}` is
accepted as text in any of them); anything else, and arguments the schema does not name,
stay JSON. "Edit as JSON" edits the whole mapping."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.inspector.fields import FieldEditor, FieldShape
from desktop.inspector.policy_form import JsonHatch
from desktop.inspector.tool_picker import builtin_choices, mcp_choices
from desktop.mcp_tools import McpToolCatalog, mcp_catalog
from engine.mcp import parse_name
from engine.workflow.document import WorkflowDocument

_TEMPLATE = re.compile(r"\{\{.*\}\}|\{%.*%\}", re.DOTALL)
UNSET = "(not set)"
OTHER = "other"


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and bool(_TEMPLATE.search(value))


def arg_kind(prop: Any) -> str:
    """The field an argument gets: string, integer, number, boolean, enum, string_list or
    json."""
    if not isinstance(prop, dict):
        return "json"
    if "enum" in prop:
        return "enum"
    kind = prop.get("type")
    if kind in ("string", "integer", "number", "boolean"):
        return str(kind)
    if kind == "array" and (prop.get("items") or {}).get("type") == "string":
        return "string_list"
    return "json"


def _expected(what: str, text: str) -> str:
    return f"should be {what} or a {{{{ template }}}}, not {text!r}"


class _ArgRow:
    """One argument's widget: `parse()` its value (None: not set), `show(value)`."""

    def __init__(self, name: str, prop: dict[str, Any], on_done: Callable[[], None]) -> None:
        self.name = name
        self.kind = arg_kind(prop)
        self.options: list[Any] = list(prop.get("enum", [])) if self.kind == "enum" else []
        self.widget: QLineEdit | QComboBox
        if self.kind in ("enum", "boolean"):
            combo = QComboBox()
            combo.setEditable(True)  # a template may stand for the choice
            combo.addItem(UNSET, None)
            for option in self.options or [True, False]:
                combo.addItem(json.dumps(option) if self.kind == "boolean" else str(option), option)
            combo.activated.connect(lambda _i: on_done())
            line = combo.lineEdit()
            if line is not None:
                line.editingFinished.connect(on_done)
            self.widget = combo
        else:
            self.widget = QLineEdit()
            self.widget.editingFinished.connect(on_done)
            if self.kind == "string_list":
                self.widget.setPlaceholderText("comma, separated, values")
            elif self.kind == "json":
                self.widget.setPlaceholderText("JSON")
        self.widget.setObjectName(f"arg_{name}")
        self.widget.setToolTip(str(prop.get("description", "")))

    def text(self) -> str:
        if isinstance(self.widget, QComboBox):
            text = self.widget.currentText()
            return "" if text == UNSET else text.strip()
        return self.widget.text().strip()

    def parse(self) -> Any:
        text = self.text()
        if not text:
            return None
        if _is_template(text):
            return text
        if self.kind == "integer":
            try:
                return int(text)
            except ValueError:
                raise ValueError(_expected("a whole number", text)) from None
        if self.kind == "number":
            try:
                number = float(text)
            except ValueError:
                raise ValueError(_expected("a number", text)) from None
            return int(number) if number.is_integer() and "." not in text else number
        if self.kind == "boolean":
            if text not in ("true", "false"):
                raise ValueError(_expected("true or false", text))
            return text == "true"
        if self.kind == "enum":
            found = [o for o in self.options if str(o) == text]
            if not found:
                choices = ", ".join(str(o) for o in self.options)
                raise ValueError(f"should be one of {choices} or a {{{{ template }}}}")
            return found[0]
        if self.kind == "string_list":
            return [part.strip() for part in text.split(",") if part.strip()]
        if self.kind == "json":
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"is not valid JSON ({exc.msg})") from None
        return text

    def show(self, value: Any) -> None:
        if value is None:
            text = ""
        elif _is_template(value) or self.kind in ("string", "integer", "number", "enum"):
            text = str(value)
        elif self.kind == "boolean":
            text = json.dumps(value)
        elif self.kind == "string_list" and isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = json.dumps(value, ensure_ascii=False)
        if isinstance(self.widget, QComboBox):
            index = self.widget.findText(text) if text else 0
            if index >= 0:
                self.widget.setCurrentIndex(index)
            else:
                self.widget.setEditText(text)
        elif self.widget.text() != text:
            self.widget.setText(text)


class ToolArgsEditor(FieldEditor):
    """The `arguments` field; rows follow the tool chosen in the same node."""

    def __init__(
        self,
        shape: FieldShape,
        current_tool: Callable[[], str],
        schema_of: Callable[[str], dict[str, Any] | None],
    ) -> None:
        super().__init__(shape, QWidget())
        self.current_tool = current_tool
        self.schema_of = schema_of
        self.rows: dict[str, _ArgRow] = {}
        self.shown: dict[str, Any] = {}
        self.built_for: tuple[str, str] | None = None
        self.from_json: dict[str, Any] | None = None
        self.showing = False
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.hatch = JsonHatch("arguments", self.widget)
        self.hatch.submitted.connect(self._on_json)
        self.hatch.refused.connect(self._on_json_refused)
        self.json_reason = ""
        layout.addWidget(self.note)
        layout.addWidget(self.form_host)
        layout.addWidget(self.hatch)

    def _rebuild(self, tool: str, schema: dict[str, Any] | None) -> None:
        key = (tool, json.dumps(schema, sort_keys=True))
        if key == self.built_for:
            return
        self.built_for = key
        while self.form.rowCount():
            self.form.removeRow(0)
        self.rows = {}
        if schema is None:
            self.note.setText(
                "Pick a tool to see its arguments."
                if not tool
                else f"The arguments of {tool} are not known yet: edit them as JSON."
            )
            return
        self.note.setText("" if schema.get("properties") else f"{tool} takes no arguments.")
        required = set(schema.get("required", []))
        for name, prop in (schema.get("properties") or {}).items():
            row = _ArgRow(name, prop if isinstance(prop, dict) else {}, self.commit)
            label = QLabel(f"{name} *" if name in required else name)
            label.setToolTip("required" if name in required else "optional")
            label.setBuddy(row.widget)
            self.form.addRow(label, row.widget)
            self.rows[name] = row
        extra = _ArgRow(OTHER, {}, self.commit)
        extra.widget.setObjectName("arg_other")
        extra.widget.setPlaceholderText('Other arguments as JSON, e.g. {"key": "value"}')
        self.form.addRow("Other", extra.widget)
        self.rows[OTHER] = extra

    def set_value(self, value: Any) -> None:
        self.showing = True
        try:
            self.show_value(value)
        finally:
            self.showing = False
        self.widget.setStyleSheet("")

    def show_value(self, value: Any) -> None:
        self.shown = copy.deepcopy(value) if isinstance(value, dict) else {}
        tool = self.current_tool()
        self._rebuild(tool, self.schema_of(tool) if tool else None)
        named = {n for n in self.rows if n != OTHER}
        for name, row in self.rows.items():
            if name == OTHER:
                rest = {k: v for k, v in self.shown.items() if k not in named}
                row.show(rest or None)
            else:
                row.show(self.shown.get(name))
        self.note.setVisible(bool(self.note.text()))
        self.form_host.setVisible(bool(self.rows))
        self.hatch.set_value(self.shown)

    def commit(self) -> None:
        if not self.showing:
            super().commit()

    def refusal(self) -> str:
        reason, self.json_reason = self.json_reason, ""
        return reason or super().refusal()

    def value(self) -> Any:
        if self.from_json is not None:
            return copy.deepcopy(self.from_json)
        result: dict[str, Any] = {}
        for name, row in self.rows.items():
            try:
                parsed = row.parse()
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            if name == OTHER:
                if parsed is not None and not isinstance(parsed, dict):
                    raise ValueError('other: should be a JSON object like {"key": "value"}')
                result.update(parsed or {})
            elif parsed is not None:
                result[name] = parsed
        if not self.rows:
            return copy.deepcopy(self.shown)
        return result

    def _on_json(self, value: Any) -> None:
        if not isinstance(value, dict):
            self._on_json_refused('should be a JSON object like {"path": "notes.txt"}')
            return
        self.from_json = value
        try:
            self.commit()
        finally:
            self.from_json = None

    def _on_json_refused(self, why: str) -> None:
        self.json_reason = why
        self.refused.emit()


def tool_schema(name: str, catalog: McpToolCatalog | None = None) -> dict[str, Any] | None:
    """The input schema of tool `name`: a built-in's, or an MCP tool's from its server's last
    listing; None when it is not known (yet)."""
    parsed = parse_name(name)
    if parsed is None:
        return next((c.input_schema for c in builtin_choices() if c.name == name), None)
    catalog = catalog or mcp_catalog()
    server = catalog.servers().get(parsed[0])
    listed = mcp_choices(server, catalog) if server is not None else None
    return next((c.input_schema for c in listed or [] if c.name == name), None)


def tool_args_editors(
    kind: str, document: WorkflowDocument, node_id: str
) -> dict[str, Callable[[FieldShape], FieldEditor]]:
    """The arguments form of a tool node (none for other kinds)."""
    if kind != "tool":
        return {}

    def current_tool() -> str:
        if not document.has_node(node_id):
            return ""
        return str(document.node(node_id).config.get("tool") or "")

    return {"arguments": lambda shape: ToolArgsEditor(shape, current_tool, tool_schema)}
