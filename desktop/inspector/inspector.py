"""The inspector: shows the selected node and turns each field edit into an undo command."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.canvas.commands import (
    ReconnectEdgeCommand,
    SetConfigCommand,
    SetPolicyCommand,
)
from desktop.inspector.form import SchemaForm, model_defaults
from desktop.inspector.item_policy_form import item_policy_editors
from desktop.inspector.node_title import approval_title_shown, title_commands
from desktop.inspector.policy_form import JsonHatch, policy_editors
from desktop.inspector.route_form import route_editors
from desktop.inspector.tool_args_form import tool_args_editors
from desktop.inspector.tool_picker import tool_editors
from desktop.resources import icon
from engine.nodes.base import NodeRegistry, config_errors
from engine.nodes.prompt_ports import missing_ports, renamed_port
from engine.workflow.document import (
    Change,
    DocumentReset,
    NodeChanged,
    NodeRemoved,
    WorkflowDocument,
)
from engine.workflow.model import Edge, NodePolicy, PortRef
from engine.workflow.plain_errors import plain_errors


class InspectorWidget(QScrollArea):
    open_subworkflow_requested = Signal(str)
    """The node id whose workflow file the user asked to open (Open Subworkflow)."""

    def __init__(
        self,
        document: WorkflowDocument,
        registry: NodeRegistry,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.registry = registry
        self.undo_stack = undo_stack
        self.node_id: str | None = None
        self.config_form: SchemaForm | None = None
        self.policy_form: SchemaForm | None = None
        self.title_edit: QLineEdit | None = None
        self.policy_json: JsonHatch | None = None
        self.errors = QLabel()
        self.port_offers = QWidget()
        self.setWidgetResizable(True)
        self._unsubscribe = document.subscribe(self._on_change)
        self.show_node(None)

    def detach(self) -> None:
        self._unsubscribe()

    # -- which node ------------------------------------------------------------------------

    def show_node(self, node_id: str | None, message: str = "") -> None:
        """Build the forms for `node_id` (None: a hint instead)."""
        self.node_id = node_id if node_id and self.document.has_node(node_id) else None
        self.config_form = self.policy_form = self.title_edit = None
        self.policy_json = None
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        if self.node_id is None:
            hint = QLabel(message or "Select a node to edit its settings.")
            hint.setWordWrap(True)
            hint.setEnabled(False)
            layout.addWidget(hint)
        else:
            self._build(layout, self.node_id)
        layout.addStretch(1)
        self.setWidget(page)

    def _build(self, layout: QVBoxLayout, node_id: str) -> None:
        node = self.document.node(node_id)
        kind = self.registry.get(node.kind)
        header = QHBoxLayout()
        badge = QLabel()
        badge.setPixmap(icon(kind.icon if kind else "node").pixmap(28, 28))
        header.addWidget(badge)
        about = QLabel(f"<b>{node.kind}</b><br>{kind.description if kind else 'unknown kind'}")
        about.setWordWrap(True)
        header.addWidget(about, 1)
        layout.addLayout(header)

        basics = QFormLayout()
        ident = QLabel(node.id)
        ident.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        basics.addRow("Id", ident)
        self.title_edit = QLineEdit(approval_title_shown(node))
        self.title_edit.setObjectName("field_title")
        self.title_edit.setPlaceholderText(node.id)
        self.title_edit.editingFinished.connect(self._on_title)
        basics.addRow("Title", self.title_edit)
        layout.addLayout(basics)

        self.errors = QLabel()
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet("color: #e0413a;")
        layout.addWidget(self.errors)
        self.port_offers = QWidget()
        self.port_offers.setObjectName("port_offers")
        QVBoxLayout(self.port_offers).setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.port_offers)

        if kind is not None:
            box = QGroupBox("Configuration")
            model = kind.config_model
            pickers = {
                **tool_editors(node.kind, self.document, self.undo_stack),
                **route_editors(node.kind),
                **item_policy_editors(node.kind),
                **tool_args_editors(node.kind, self.document, node_id),
            }
            schema = model.model_json_schema()
            if node.kind == "approval":  # its title is the node's Title above
                schema["properties"].pop("title", None)
            self.config_form = SchemaForm(schema, model_defaults(model), box, editors=pickers)
            self.config_form.field_committed.connect(self._on_config_field)
            self.config_form.field_refused.connect(self._on_refused)
            QVBoxLayout(box).addWidget(self.config_form)
            layout.addWidget(box)
        if node.kind == "subworkflow" or (
            node.kind in ("map", "loop") and isinstance(node.config.get("workflow"), str)
        ):
            opener = QPushButton("Open Subworkflow")
            opener.setObjectName("open_subworkflow")
            opener.setToolTip("Open the workflow file this node runs, in a new window")
            opener.clicked.connect(lambda: self.open_subworkflow_requested.emit(node_id))
            layout.addWidget(opener)
        box = QGroupBox("Policy")
        self.policy_form = SchemaForm(
            NodePolicy.model_json_schema(),
            model_defaults(NodePolicy),
            box,
            editors=policy_editors(self.registry.names()),
        )
        self.policy_form.field_committed.connect(self._on_policy_field)
        self.policy_form.field_refused.connect(self._on_refused)
        self.policy_json = JsonHatch("policy", box)
        self.policy_json.submitted.connect(self._on_policy_json)
        self.policy_json.refused.connect(lambda why: self._on_refused("Policy", why))
        policy_layout = QVBoxLayout(box)
        policy_layout.addWidget(self.policy_form)
        policy_layout.addWidget(self.policy_json)
        layout.addWidget(box)
        self._refresh()

    def _refresh(self) -> None:
        if self.node_id is None:
            return
        node = self.document.node(self.node_id)
        title = approval_title_shown(node)
        if self.title_edit is not None and self.title_edit.text() != title:
            self.title_edit.setText(title)
        if self.config_form is not None:
            self.config_form.set_values(node.config)
        if self.policy_form is not None:
            self.policy_form.set_values(node.policy.model_dump(mode="json"))
        if self.policy_json is not None:
            self.policy_json.set_value(node.policy.model_dump(mode="json"))
        kind = self.registry.get(node.kind)
        problems = [m for _, m in config_errors(kind, node.config)] if kind else []
        self.errors.setText("\n".join(problems))
        self.errors.setVisible(bool(problems))
        self._offer_ports(node.id)

    def _offer_ports(self, node_id: str) -> None:
        """A warning and an "Add port" button per name the prompt reads that is no port."""
        layout = self.port_offers.layout()
        while layout is not None and layout.count():
            gone = layout.takeAt(0)
            widget = gone.widget() if gone is not None else None
            if widget is not None:  # out of the form now; deleted once its click is done
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        missing = missing_ports(self.document.node(node_id), self.registry)
        for name, field in missing.items():
            warning = QLabel(f"The {field} uses {{{{ {name} }}}}, which is not an input port.")
            warning.setWordWrap(True)
            warning.setStyleSheet("color: #b26a00;")
            button = QPushButton(f"Add Port “{name}”")
            button.setObjectName(f"add_port_{name}")
            button.clicked.connect(lambda _=False, n=name: self._add_port(n))
            if layout is not None:
                layout.addWidget(warning)
                layout.addWidget(button)
        self.port_offers.setVisible(bool(missing))

    def _add_port(self, name: str) -> None:
        if self.node_id is None or self.config_form is None:
            return
        config = self.document.node(self.node_id).config
        kind = self.registry.get(self.document.node(self.node_id).kind)
        ports = [p.name for p in kind.input_ports(kind.parse_config(config))] if kind else []
        new = self.config_form.updated(config, "inputs", [*ports, name])
        self.undo_stack.push(SetConfigCommand(self.document, self.node_id, new, f"port {name}"))

    # -- document → view -------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if isinstance(change, DocumentReset) or (
            isinstance(change, NodeRemoved) and change.node.id == self.node_id
        ):
            self.show_node(None)
        elif isinstance(change, NodeChanged) and change.node.id == self.node_id:
            self._refresh()

    # -- view → undo commands ----------------------------------------------------------------

    def _on_title(self) -> None:
        if self.node_id is None or self.title_edit is None:
            return
        title = self.title_edit.text().strip()
        node = self.document.node(self.node_id)
        if title == approval_title_shown(node):
            return
        commands = title_commands(self.document, node, title)
        if len(commands) == 1:
            self.undo_stack.push(commands[0])
            return
        self.undo_stack.beginMacro(f"Title {self.node_id}")
        for command in commands:
            self.undo_stack.push(command)
        self.undo_stack.endMacro()

    def _on_config_field(self, name: str, value: Any) -> None:
        if self.node_id is None or self.config_form is None:
            return
        config = self.document.node(self.node_id).config
        new = self.config_form.updated(config, name, value)
        if new == config:
            return
        command = SetConfigCommand(self.document, self.node_id, new, name)
        renamed = self._renamed_input(config, new) if name == "inputs" else None
        if renamed is None:
            self.undo_stack.push(command)
            return
        old, port = renamed  # the port's edges move with it, in the same undo step
        self.undo_stack.beginMacro(f"Rename port {old} of {self.node_id} to {port}")
        self.undo_stack.push(command)
        for edge in self.document.edges_of(self.node_id):
            if edge.target == PortRef(node=self.node_id, port=old):
                moved = Edge(source=edge.source, target=PortRef(node=self.node_id, port=port))
                self.undo_stack.push(ReconnectEdgeCommand(self.document, edge, moved))
        self.undo_stack.endMacro()

    def _renamed_input(self, old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str] | None:
        """(old port, new port) when an edit of the input port list renames one port."""
        if self.node_id is None:
            return None
        kind = self.registry.get(self.document.node(self.node_id).kind)
        if kind is None:
            return None
        try:
            before = [p.name for p in kind.input_ports(kind.parse_config(old))]
            after = [p.name for p in kind.input_ports(kind.parse_config(new))]
        except ValueError:
            return None
        return renamed_port(before, after)

    def _on_policy_field(self, name: str, value: Any) -> None:
        if self.node_id is None or self.policy_form is None:
            return
        current = self.document.node(self.node_id).policy
        data = self.policy_form.updated(current.model_dump(mode="json"), name, value)
        self._set_policy(data)

    def _on_policy_json(self, data: object) -> None:
        if self.node_id is not None:
            self._set_policy(data)

    def _set_policy(self, data: object) -> None:
        """One undo step to `data` when it is a valid policy; else the reason, model unchanged."""
        if self.node_id is None:
            return
        current = self.document.node(self.node_id).policy
        try:
            policy = NodePolicy.model_validate(data)
        except ValidationError as exc:
            loc, message = plain_errors(exc)[0]
            where = ".".join(str(p) for p in loc)
            self._on_refused(f"Policy {where}".strip(), message)
            return
        if policy != current:
            self.undo_stack.push(SetPolicyCommand(self.document, self.node_id, policy))

    def _on_refused(self, field: str, why: str) -> None:
        """Say why an edit was refused; the model is left as it was."""
        self.errors.setText(f"{field}: {why}")
        self.errors.setVisible(True)
        self.ensureWidgetVisible(self.errors)
