"""A proposed tool call in the approval dialog: which tool (and for `mcp:SERVER/TOOL`, which
MCP server), then every argument on a row of its own (the schema's required, described and
typed ones, and any other the call carries), editable for edit-and-approve. It reads back
as `{tool, arguments}`, which the dialog checks against the request's schema."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.dialogs.json_editor import dumps
from engine.approvals.model import ApprovalRequest
from engine.mcp import parse_name


def is_tool_call(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"tool", "arguments"}
        and isinstance(value["tool"], str)
        and isinstance(value["arguments"], dict)
    )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ToolCallView(QWidget):
    """Edits a `{tool, arguments}` value argument by argument. Text arguments are typed as
    they are; others as JSON, and `value()` raises JSONDecodeError naming the argument that
    does not parse. An emptied argument the call did not carry stays out of it."""

    textChanged = Signal()

    def __init__(
        self,
        proposed: dict[str, Any],
        schema: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.tool = str(proposed["tool"])
        self.proposed = proposed
        arguments_schema = ((schema or {}).get("properties") or {}).get("arguments") or {}
        self.properties: dict[str, Any] = dict(arguments_schema.get("properties") or {})
        self.required = set(arguments_schema.get("required") or [])
        layout = QVBoxLayout(self)
        self.heading = QLabel(self._heading())
        self.heading.setObjectName("tool_call_heading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        form = QFormLayout()
        layout.addLayout(form)
        layout.addStretch(1)
        self.fields: dict[str, QLineEdit] = {}
        given = proposed["arguments"]
        names = [*given, *(n for n in self.properties if n not in given)]
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for name in names:
            field = QLineEdit()
            field.setObjectName(f"argument_{name}")
            field.setFont(mono)
            prop = self.properties.get(name, {})
            field.setToolTip(str(prop.get("description", "")) if isinstance(prop, dict) else "")
            if name not in given:
                field.setPlaceholderText("(not given)")
            field.textChanged.connect(lambda _text: self.textChanged.emit())
            label = QLabel(f"{name} *" if name in self.required else name)
            label.setToolTip(_type_text(prop))
            form.addRow(label, field)
            self.fields[name] = field
        self.set_value(proposed)

    def _heading(self) -> str:
        parsed = parse_name(self.tool)
        count = len(self.proposed["arguments"])
        if parsed is not None:
            server, tool = parsed
            where = f"Tool <b>{_esc(tool)}</b> of MCP server <b>{_esc(server)}</b>"
        else:
            where = f"Tool <b>{_esc(self.tool)}</b>"
        return (
            f"{where} (<code>{_esc(self.tool)}</code>), called with {count} "
            f"argument{'s' if count != 1 else ''}{' (* required)' if self.required else ''}:"
        )

    def _is_text(self, name: str, value: Any = None) -> bool:
        prop = self.properties.get(name)
        if isinstance(prop, dict) and prop.get("type") == "string":
            return True
        return prop is None and isinstance(value, str)

    def set_value(self, value: Any) -> None:
        arguments = value.get("arguments", {}) if isinstance(value, dict) else {}
        for name, field in self.fields.items():
            if name not in arguments:
                field.setText("")
                continue
            item = arguments[name]
            text = item if self._is_text(name, item) and isinstance(item, str) else dumps(item)
            field.setText(text.replace("\n", " ") if not isinstance(item, str) else text)

    def value(self) -> dict[str, Any]:
        given = self.proposed["arguments"]
        arguments: dict[str, Any] = {}
        for name, field in self.fields.items():
            text = field.text()
            if not text and name not in given:
                continue
            if self._is_text(name, given.get(name)):
                arguments[name] = text
                continue
            try:
                arguments[name] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise json.JSONDecodeError(
                    f"argument {name}: {exc.msg}", exc.doc, exc.pos
                ) from None
        return {"tool": self.tool, "arguments": arguments}

    def setReadOnly(self, on: bool) -> None:
        for field in self.fields.values():
            field.setReadOnly(on)

    def setFocus(self) -> None:  # type: ignore[override]
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus()
        else:
            super().setFocus()


def _type_text(prop: Any) -> str:
    if not isinstance(prop, dict):
        return ""
    kind = prop.get("type") or ("one of several types" if "anyOf" in prop else "any")
    return f"{kind}: {prop.get('description', '')}".strip(": ")


def call_editor(request: ApprovalRequest) -> ToolCallView | None:
    """The per-argument view for a gated tool call, else None (the JSON editor shows it)."""
    if request.kind != "policy_gate" or not is_tool_call(request.proposed):
        return None
    return ToolCallView(request.proposed, request.schema)
