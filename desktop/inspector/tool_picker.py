"""The tool picker of the inspector: a tool node's `tool` (and an agent's `tools`) chosen from
the built-in tools and the registered MCP servers' tools (`mcp:SERVER/TOOL`, listed in a
worker thread when the list is opened), each marked granted or not by the workflow's
`policy.allowed_tools`, with its description and arguments; a tool not granted is offered
a Grant button, one undo command on the workflow policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.inspector.fields import FieldEditor, FieldShape
from desktop.mcp_tools import McpToolCatalog, mcp_catalog
from desktop.workflow_settings.commands import SetWorkflowPolicyCommand
from engine.mcp import McpServer, parse_name
from engine.nodes.toolbox import builtin_tools
from engine.tools.registry import granted
from engine.workflow.document import WorkflowDocument

LIST_ROLE = Qt.ItemDataRole.UserRole + 1
"""Item data of a server's "list its tools" entry: the server's name."""
WARN_STYLE = "color: #b26a00;"


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """One tool the picker offers."""

    name: str
    source: str
    """"built-in" or "mcp:SERVER"."""
    description: str
    input_schema: dict[str, Any]
    side_effect: str
    decision: str = ""


def builtin_choices() -> list[ToolChoice]:
    return [
        ToolChoice(t.name, "built-in", t.description, t.arguments, t.side_effect)
        for t in builtin_tools().tools()
    ]


def mcp_choices(server: McpServer, catalog: McpToolCatalog) -> list[ToolChoice] | None:
    """The server's tools from its last listing, or None when it has not been listed."""
    probe = catalog.probe(server)
    if probe is None:
        return None
    return [
        ToolChoice(
            t.name, f"mcp:{server.name}", t.description, t.input_schema, t.side_effect, t.decision
        )
        for t in probe.tools
    ]


def arguments_text(schema: dict[str, Any]) -> str:
    """`timezone (string, required), …` from an input schema."""
    required = set(schema.get("required", []))
    parts = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or "any" if isinstance(prop, dict) else "any"
        parts.append(f"{name} ({kind}{', required' if name in required else ''})")
    return ", ".join(parts) or "none"


class ToolPicker(QWidget):
    """The picker widget: a list of tools and, under it, what the chosen one is and
    whether the workflow grants it. `chosen(name)` when the user picks a tool."""

    def __init__(
        self,
        document: WorkflowDocument,
        undo_stack: QUndoStack,
        catalog: McpToolCatalog | None = None,
        on_chosen: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = undo_stack
        self.catalog = catalog or mcp_catalog()
        self.on_chosen = on_chosen
        self.choices: dict[str, ToolChoice] = {}
        self.current = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = _ListingCombo(self._list_unlisted)
        self.combo.setObjectName("tool_picker")
        self.combo.activated.connect(self._on_activated)
        layout.addWidget(self.combo)
        self.about = QLabel(wordWrap=True)
        self.about.setObjectName("tool_about")
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.about)
        self.grant_note = QLabel(wordWrap=True)
        self.grant_note.setStyleSheet(WARN_STYLE)
        layout.addWidget(self.grant_note)
        grant_row = QHBoxLayout()
        self.grant_button = QPushButton("Grant it in the workflow policy")
        self.grant_button.setObjectName("grant_tool")
        self.grant_button.clicked.connect(self.grant_current)
        grant_row.addWidget(self.grant_button)
        grant_row.addStretch(1)
        layout.addLayout(grant_row)
        self.catalog.changed.connect(self.rebuild)
        self._unsubscribe = document.subscribe(lambda _change: self._show_grant())
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.rebuild()

    # -- the list ----------------------------------------------------------------------------

    def granted(self, name: str) -> bool:
        return granted(name, self.document.workflow.policy.allowed_tools or ())

    def rebuild(self) -> None:
        """Fill the list: built-in tools, then each registered server's tools (or an entry
        that lists them)."""
        combo = self.combo
        blocked = combo.blockSignals(True)
        combo.clear()
        self.choices = {}
        for choice in builtin_choices():
            self._add(choice)
        for server in self.catalog.servers().values():
            combo.insertSeparator(combo.count())
            listed = mcp_choices(server, self.catalog)
            if listed is not None:
                for choice in listed:
                    self._add(choice)
                continue
            error = self.catalog.error(server)
            if self.catalog.listing(server):
                text, enabled = f"mcp:{server.name} — listing its tools…", False
            elif error is not None:
                text, enabled = f"mcp:{server.name} — cannot list its tools: {error[:80]}", True
            else:
                text, enabled = f"mcp:{server.name} — list this server's tools", True
            combo.addItem(text)
            index = combo.count() - 1
            combo.setItemData(index, server.name, LIST_ROLE)
            if not enabled:
                combo.model().item(index).setEnabled(False)  # type: ignore[attr-defined]
        if self.current and self.current not in self.choices:
            combo.insertItem(0, f"{self.current}   (not listed)", self.current)
        combo.setCurrentIndex(max(combo.findData(self.current), 0) if self.current else -1)
        combo.blockSignals(blocked)
        self._show_about()

    def _add(self, choice: ToolChoice) -> None:
        self.choices[choice.name] = choice
        mark = "✓" if self.granted(choice.name) else "  "
        where = "" if choice.source == "built-in" else f"   · {choice.decision}"
        self.combo.addItem(f"{mark} {choice.name}{where}", choice.name)
        tip = f"{choice.description}\nArguments: {arguments_text(choice.input_schema)}"
        self.combo.setItemData(self.combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)

    def list_server(self, name: str) -> None:
        server = self.catalog.servers().get(name)
        if server is not None and self.catalog.probe(server) is None:
            self.catalog.list_tools(server)
            self.rebuild()

    def _list_unlisted(self) -> None:
        """When the list opens: list the servers never listed (each starts once)."""
        for server in self.catalog.servers().values():
            unknown = self.catalog.probe(server) is None and self.catalog.error(server) is None
            if unknown and not self.catalog.listing(server):
                self.catalog.list_tools(server)
        self.rebuild()

    # -- choosing ----------------------------------------------------------------------------

    def choose(self, name: str) -> None:
        """Pick `name` as the user would."""
        index = self.combo.findData(name)
        if index < 0:
            raise KeyError(name)
        self.combo.setCurrentIndex(index)
        self._on_activated(index)

    def _on_activated(self, index: int) -> None:
        server = self.combo.itemData(index, LIST_ROLE)
        if server:
            self.list_server(str(server))
            self.combo.setCurrentIndex(max(self.combo.findData(self.current), 0))
            return
        name = self.combo.itemData(index)
        if not name or name == self.current:
            return
        self.current = str(name)
        self._show_about()
        if self.on_chosen is not None:
            self.on_chosen(self.current)

    def set_current(self, name: str) -> None:
        if name != self.current:
            self.current = name
            self.rebuild()
        else:
            self._show_about()

    def _show_about(self) -> None:
        choice = self.choices.get(self.current)
        if choice is None:
            parsed = parse_name(self.current)
            if parsed is None:
                text = ""
            elif parsed[0] in self.catalog.servers():
                text = f"Open this list to list the tools of mcp:{parsed[0]} (it starts once)."
            else:
                text = (
                    f"No MCP server {parsed[0]!r} is registered: add it on the Tool sources "
                    "page of Models and Endpoints."
                )
            self.about.setText(text)
        else:
            source = "built-in tool" if choice.source == "built-in" else choice.source
            first = choice.description.strip().splitlines()[0] if choice.description else ""
            decision = f", {choice.decision}" if choice.decision else ""
            self.about.setText(
                f"{source} ({choice.side_effect}{decision}). {first}\n"
                f"Arguments: {arguments_text(choice.input_schema)}"
            )
        self._show_grant()

    def _show_grant(self) -> None:
        if not self.current or self.granted(self.current):
            self.grant_note.setVisible(False)
            self.grant_button.setVisible(False)
            return
        self.grant_note.setText(
            f"Not granted by the workflow's policy.allowed_tools: a run refuses {self.current}."
        )
        self.grant_button.setToolTip(f"Add {self.current} to policy.allowed_tools (undoable)")
        self.grant_note.setVisible(True)
        self.grant_button.setVisible(True)

    def grant_current(self) -> None:
        """Add the chosen tool to `policy.allowed_tools` (one undo command)."""
        name = self.current
        if not name or self.granted(name):
            return
        policy = self.document.workflow.policy
        grants = [*(policy.allowed_tools or []), name]
        new = policy.model_copy(update={"allowed_tools": grants})
        self.undo_stack.push(SetWorkflowPolicyCommand(self.document, new, f"grant {name}"))
        self.rebuild()


class _ListingCombo(QComboBox):
    """A combo box that asks for the MCP listings when its list opens."""

    def __init__(self, on_open: Callable[[], None]) -> None:
        super().__init__()
        self._on_open = on_open
        self.setMinimumContentsLength(12)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)

    def showPopup(self) -> None:
        self._on_open()
        super().showPopup()


class ToolPickerEditor(FieldEditor):
    """The `tool` field of a tool node as a picker."""

    def __init__(
        self,
        shape: FieldShape,
        document: WorkflowDocument,
        undo_stack: QUndoStack,
        catalog: McpToolCatalog | None = None,
    ) -> None:
        picker = ToolPicker(document, undo_stack, catalog, on_chosen=lambda _n: self.commit())
        super().__init__(shape, picker)
        self.picker = picker
        picker.combo.setToolTip(shape.description)

    def value(self) -> Any:
        return self.picker.current

    def show_value(self, value: Any) -> None:
        self.picker.set_current(str(value or ""))


class ToolListEditor(FieldEditor):
    """An agent's `tools`: the names as a comma list, and a picker that adds one."""

    def __init__(
        self,
        shape: FieldShape,
        document: WorkflowDocument,
        undo_stack: QUndoStack,
        catalog: McpToolCatalog | None = None,
    ) -> None:
        box = QWidget()
        super().__init__(shape, box)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit()
        self.line.setObjectName("field_tools_names")
        self.line.setPlaceholderText("comma, separated, tool names")
        self.line.editingFinished.connect(self.commit)
        layout.addWidget(self.line)
        self.picker = ToolPicker(document, undo_stack, catalog, on_chosen=self._add)
        self.picker.combo.setPlaceholderText("Add a tool…")
        layout.addWidget(self.picker)

    def _add(self, name: str) -> None:
        names = self.value()
        if name not in names:
            self.line.setText(", ".join([*names, name]))
            self.commit()

    def value(self) -> Any:
        return [part.strip() for part in self.line.text().split(",") if part.strip()]

    def show_value(self, value: Any) -> None:
        names = [str(v) for v in value] if isinstance(value, list) else []
        text = ", ".join(names)
        if self.line.text() != text:
            self.line.setText(text)
        ungranted = [n for n in names if not self.picker.granted(n)]
        self.picker.set_current(ungranted[0] if ungranted else (names[-1] if names else ""))


def tool_editors(
    kind: str, document: WorkflowDocument, undo_stack: QUndoStack
) -> dict[str, Callable[[FieldShape], FieldEditor]]:
    """The picker editors of a node kind's config fields (none for most kinds)."""
    if kind == "tool":
        return {"tool": lambda shape: ToolPickerEditor(shape, document, undo_stack)}
    if kind == "agent":
        return {"tools": lambda shape: ToolListEditor(shape, document, undo_stack)}
    return {}
