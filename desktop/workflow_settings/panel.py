"""The workflow settings panel: Metadata, Inputs and Policy tabs over one document. Each
field edit is checked as the file loader would check it: refused with the loader's message
shown in the tab, else pushed as one undo command."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BaseModel
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.inspector.fields import (
    INVALID_STYLE,
    FieldEditor,
    FieldShape,
    JsonEditor,
    NumberTextEditor,
)
from desktop.inspector.form import SchemaForm, model_defaults
from desktop.workflow_settings.allowed_list import allowed_models_editor
from desktop.workflow_settings.commands import SetMetadataCommand, SetWorkflowPolicyCommand
from desktop.workflow_settings.executor_box import ExecutorBox
from desktop.workflow_settings.inputs_table import InputsTable
from engine.workflow.document import Change, DocumentReset, WorkflowChanged, WorkflowDocument
from engine.workflow.model import Budget, Metadata, TemplateLimits, WorkflowPolicy
from engine.workflow.sections import SectionInvalid, check_section

ERROR_STYLE = "color: #e0413a;"
GENERAL_POLICY = (
    "offline",
    "max_parallelism",
    "allowed_models",
    "allowed_tools",
    "tool_scopes",
    "approval_rules",
)
EDITORS: dict[str, Callable[[FieldShape], FieldEditor]] = {"allowed_models": allowed_models_editor}
"""Fields with an editor of their own (an allow-list that tells unset from empty)."""
PLACEHOLDERS = {
    "allowed_tools": "built-in defaults only",
    "max_cost_usd": "no limit",
    "max_tokens": "no limit",
}


class _Part:
    """One form over part of a section: `keys` lead from the section's data to the
    mapping the form shows (() for the section itself)."""

    def __init__(self, form: SchemaForm, keys: tuple[str, ...]) -> None:
        self.form = form
        self.keys = keys

    def values(self, data: dict[str, Any]) -> dict[str, Any]:
        for key in self.keys:
            data = data[key]
        return data

    def updated(self, data: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
        result = copy.deepcopy(data)
        inner = result
        for key in self.keys[:-1]:
            inner = inner[key]
        if self.keys:
            inner[self.keys[-1]] = self.form.updated(self.values(result), name, value)
            return result
        return self.form.updated(result, name, value)


class WorkflowSettingsPanel(QTabWidget):
    """Metadata, declared inputs and workflow policy of `document`, edited through
    `undo_stack`. The forms never change the document themselves."""

    def __init__(
        self, document: WorkflowDocument, undo_stack: QUndoStack, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workflow_settings")
        self.document = document
        self.undo_stack = undo_stack
        self.errors: dict[str, QLabel] = {}
        self.metadata_form = self._form(Metadata, "metadata", (), multiline={"description"})
        self.schema_version = QLabel()
        self.schema_version.setToolTip("The workflow file format version (set on save)")
        self.inputs = InputsTable(document, undo_stack)
        self.inputs.refused.connect(partial(self._show_errors, "inputs"))
        self.inputs.accepted.connect(partial(self._show_errors, "inputs", []))
        self.policy_form = self._form(WorkflowPolicy, "policy", (), GENERAL_POLICY)
        self.budget_form = self._form(Budget, "policy", ("budget",))
        self.templates_form = self._form(TemplateLimits, "policy", ("templates",))
        self.executor = ExecutorBox()
        self.executor.changed.connect(self._on_executor)
        self._build()
        self._unsubscribe = document.subscribe(self._on_change)
        self.refresh()

    def detach(self) -> None:
        self._unsubscribe()

    # -- building --------------------------------------------------------------------------

    def _form(
        self,
        model: type[BaseModel],
        section: str,
        keys: tuple[str, ...],
        only: tuple[str, ...] = (),
        multiline: set[str] | None = None,
    ) -> _Part:
        schema = model.model_json_schema()
        if only:
            schema["properties"] = {k: schema["properties"][k] for k in only}
        form = SchemaForm(
            schema, model_defaults(model), multiline=frozenset(multiline or ()), editors=EDITORS
        )
        for name, editor in form.editors.items():
            if name in PLACEHOLDERS and isinstance(editor.widget, QWidget):
                editor.widget.setProperty("placeholderText", PLACEHOLDERS[name])
            editor.refused.connect(partial(self._on_refused, section, keys, name))
        part = _Part(form, keys)
        form.field_committed.connect(partial(self._on_field, section, part))
        return part

    def _build(self) -> None:
        metadata = self._page("metadata")
        metadata.addWidget(self.metadata_form.form)
        version = QFormLayout()
        version.addRow("File version", self.schema_version)
        metadata.addLayout(version)
        self.addTab(self._scrolled(metadata, "metadata"), "Metadata")

        inputs = self._page("inputs")
        hint = QLabel(
            "The values a run starts with. An input node reads the input named by its id "
            "(or its name setting); Run asks for these values."
        )
        hint.setWordWrap(True)
        inputs.addWidget(hint)
        inputs.addWidget(self.inputs, 1)
        inputs.addWidget(self.errors["inputs"])  # under the table: the rows never jump
        self.addTab(_wrap(inputs), "Inputs")

        policy = self._page("policy")
        policy.addWidget(self.policy_form.form)
        for title, part in (("Budget", self.budget_form), ("Templates", self.templates_form)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(part.form)
            policy.addWidget(box)
        policy.addWidget(self.executor)
        self.addTab(self._scrolled(policy, "policy"), "Policy")

    def _page(self, section: str) -> QVBoxLayout:
        layout = QVBoxLayout()
        layout.setContentsMargins(8, 8, 8, 8)
        self.errors[section] = _label(ERROR_STYLE, f"{section}_errors")
        return layout

    def _scrolled(self, layout: QVBoxLayout, section: str) -> QWidget:
        """The page in a scroll area under its messages, which stay in view while the
        form scrolls and never move the form."""
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(_wrap(layout))
        outer = QVBoxLayout()
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.errors[section].setContentsMargins(8, 6, 8, 6)
        outer.addWidget(self.errors[section])
        outer.addWidget(scroll, 1)
        return _wrap(outer)

    # -- document → view -------------------------------------------------------------------

    def refresh(self) -> None:
        workflow = self.document.workflow
        self.metadata_form.form.set_values(workflow.metadata.model_dump(mode="json"))
        self.schema_version.setText(str(workflow.version))
        self.inputs.refresh()
        policy = workflow.policy.model_dump(mode="json")
        for part in (self.policy_form, self.budget_form, self.templates_form):
            part.form.set_values(part.values(policy))
        self.executor.set_value(policy.get("executor"))

    def _on_change(self, change: Change) -> None:
        if isinstance(change, DocumentReset | WorkflowChanged):
            for section in self.errors:
                self._show_errors(section, [])
            self.refresh()

    # -- view → undo commands ----------------------------------------------------------------

    def _on_field(self, section: str, part: _Part, name: str, value: Any) -> None:
        current = self._section(section)
        data = part.updated(current.model_dump(mode="json"), name, value)
        try:
            checked = check_section(type(current), data, (section,))
        except SectionInvalid as exc:
            part.form.editor(name).widget.setStyleSheet(INVALID_STYLE)
            self._show_errors(section, exc.messages)
            return
        self._show_errors(section, [])
        if checked != current:
            self.undo_stack.push(self._command(section, checked, name))

    def _on_executor(self, value: dict[str, Any] | None) -> None:
        current = self.document.workflow.policy
        data = current.model_dump(mode="json") | {"executor": value}
        try:
            checked = check_section(WorkflowPolicy, data, ("policy",))
        except SectionInvalid as exc:
            self.executor.address.setStyleSheet(INVALID_STYLE)
            self._show_errors("policy", exc.messages)
            return
        self.executor.address.setStyleSheet("")
        self._show_errors("policy", [])
        if checked != current:
            self.undo_stack.push(self._command("policy", checked, "map items executor"))

    def _on_refused(self, section: str, keys: tuple[str, ...], name: str) -> None:
        """A field whose text does not parse: the loader's message for that text."""
        editor = self._parts(section, keys).form.editor(name)
        where = ".".join((section, *keys, name))
        if isinstance(editor, NumberTextEditor):
            current = self._section(section)
            data = current.model_dump(mode="json")
            inner = data
            for key in keys:
                inner = inner[key]
            inner[name] = editor.line.text()
            try:
                check_section(type(current), data, (section,))
            except SectionInvalid as exc:
                self._show_errors(section, exc.messages)
                return
            self._show_errors(section, [f"{where}: {editor.line.text()!r} is out of range"])
        elif isinstance(editor, JsonEditor):
            try:
                json.loads(editor.text.toPlainText())
            except json.JSONDecodeError as exc:
                self._show_errors(section, [f"{where}: not JSON ({exc.msg})"])

    def _parts(self, section: str, keys: tuple[str, ...]) -> _Part:
        if section == "metadata":
            return self.metadata_form
        return {(): self.policy_form, ("budget",): self.budget_form}.get(keys, self.templates_form)

    def _section(self, section: str) -> BaseModel:
        workflow = self.document.workflow
        return workflow.metadata if section == "metadata" else workflow.policy

    def _command(self, section: str, value: BaseModel, name: str) -> QUndoCommand:
        label = name.replace("_", " ")
        if isinstance(value, Metadata):
            return SetMetadataCommand(self.document, value, label)
        assert isinstance(value, WorkflowPolicy)
        return SetWorkflowPolicyCommand(self.document, value, label)

    def _show_errors(self, section: str, messages: list[str]) -> None:
        label = self.errors[section]
        label.setText("\n".join(messages))
        label.setVisible(bool(messages))

    def show_section(self, section: str) -> None:
        """Bring the tab of `section` (metadata, inputs, policy) to the front."""
        index = {"metadata": 0, "inputs": 1, "policy": 2}.get(section, 0)
        self.setCurrentIndex(index)


def _label(style: str, name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(style)
    label.setVisible(False)
    return label


def _wrap(layout: QVBoxLayout) -> QWidget:
    page = QWidget()
    page.setLayout(layout)
    return page
