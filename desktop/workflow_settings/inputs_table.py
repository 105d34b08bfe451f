"""The declared-inputs table: one row per workflow input (name, type, default, required,
description); each cell edit, add and remove is one undo command, refused with the file's
message when the file would refuse the declaration."""

from __future__ import annotations

import json
from functools import partial
from typing import Any, get_args

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.canvas.commands import SetConfigCommand
from desktop.workflow_settings.commands import (
    AddInputCommand,
    EditInputCommand,
    RemoveInputCommand,
)
from engine.workflow.document import WorkflowDocument
from engine.workflow.model import InputDecl, PortType
from engine.workflow.sections import SectionInvalid, check_section

COLUMNS = ("Name", "Type", "Required", "Default", "Description")
NAME, TYPE, REQUIRED, DEFAULT, DESCRIPTION = range(len(COLUMNS))
TYPES: tuple[str, ...] = get_args(PortType)


def format_default(decl: InputDecl) -> str:
    """A default as typed in the table: text as is for a string input, JSON otherwise."""
    if decl.default is None:
        return ""
    if decl.type == "string" and isinstance(decl.default, str):
        return decl.default
    return json.dumps(decl.default, ensure_ascii=False)


def parse_default(text: str, type_: str, where: str) -> Any:
    """The default typed for an input of `type_`: empty is none; a string input takes the
    text; `any` takes JSON, else the text; other types must be JSON. Raises SectionInvalid."""
    if not text.strip():
        return None
    if type_ == "string":
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if type_ == "any":
            return text
        raise SectionInvalid([f"{where}.default: not JSON ({exc.msg})"]) from None


class TypeDelegate(QStyledItemDelegate):
    """Edits the Type column with a list of the types an input may declare; choosing
    one finishes the edit."""

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setObjectName("input_type")
        combo.addItems(list(TYPES))
        combo.activated.connect(partial(self._on_chosen, combo))
        QTimer.singleShot(0, combo, combo.showPopup)  # the list opens with the editor
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data()))

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, QComboBox) and editor.currentText() != index.data():
            model.setData(index, editor.currentText())

    def _on_chosen(self, combo: QComboBox, _index: int) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo)


class InputsTable(QWidget):
    """Shows the document's declared inputs; `refused(messages)` when an edit is refused
    (the table then shows the model's values again), `accepted()` after an edit lands."""

    refused = Signal(list)
    accepted = Signal()

    def __init__(
        self, document: WorkflowDocument, undo_stack: QUndoStack, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = undo_stack
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("inputs_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(REQUIRED, QHeaderView.ResizeMode.ResizeToContents)
        for column, width in ((NAME, 100), (TYPE, 70), (DEFAULT, 110)):
            self.table.setColumnWidth(column, width)
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(TYPE, TypeDelegate(self.table))
        self.table.itemChanged.connect(self._on_item_changed)
        self.add_button = QPushButton("Add Input")
        self.add_button.setObjectName("add_input")
        self.add_button.setToolTip("Declare a new workflow input")
        self.add_button.clicked.connect(self.add_input)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("remove_input")
        self.remove_button.setToolTip("Remove the selected input's declaration")
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemSelectionChanged.connect(self._on_selection)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.refresh()

    # -- document → view -------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the declared inputs as they are in the document."""
        selected = self.table.currentRow()
        blocked = self.table.blockSignals(True)
        try:
            inputs = self.document.workflow.inputs
            self.table.setRowCount(len(inputs))
            for row, decl in enumerate(inputs):
                self._show_row(row, decl)
        finally:
            self.table.blockSignals(blocked)
        if 0 <= selected < self.table.rowCount():
            self.table.selectRow(selected)
        self._on_selection()

    def _show_row(self, row: int, decl: InputDecl) -> None:
        # Items are updated in place, never replaced: this runs inside their own signals.
        self._cell(row, NAME).setText(decl.name)
        self._cell(row, TYPE).setText(decl.type)
        default = self._cell(row, DEFAULT)
        default.setText(format_default(decl))
        default.setToolTip(default.text() or _tip(DEFAULT))
        required = self._cell(row, REQUIRED)
        required.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        required.setCheckState(Qt.CheckState.Checked if decl.required else Qt.CheckState.Unchecked)
        description = self._cell(row, DESCRIPTION)
        description.setText(decl.description)
        description.setToolTip(decl.description or _tip(DESCRIPTION))

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            item.setToolTip(_tip(column))
            self.table.setItem(row, column, item)
        return item

    # -- view → undo commands ----------------------------------------------------------------

    def add_input(self) -> None:
        taken = {d.name for d in self.document.workflow.inputs}
        name = next(n for i in range(1, len(taken) + 2) if (n := _nth("input", i)) not in taken)
        self.undo_stack.push(AddInputCommand(self.document, InputDecl(name=name)))
        row = len(self.document.workflow.inputs) - 1
        self.table.selectRow(row)
        self.table.editItem(self._cell(row, NAME))
        self.accepted.emit()

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        inputs = self.document.workflow.inputs
        if 0 <= row < len(inputs):
            self.undo_stack.push(RemoveInputCommand(self.document, inputs[row].name))
            self.accepted.emit()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        self.edit_row(item.row())

    def edit_row(self, row: int) -> None:
        """Turn what row `row` shows into a declaration and push it, or refuse it."""
        inputs = self.document.workflow.inputs
        if not 0 <= row < len(inputs):
            return
        try:
            decl = self._row_decl(row)
            if decl.name != inputs[row].name and self.document.has_input(decl.name):
                raise SectionInvalid([f"inputs.{row}.name: duplicate input {decl.name!r}"])
        except SectionInvalid as exc:
            self.refresh()
            self.refused.emit(exc.messages)
            return
        old = inputs[row]
        readers = self._readers(old.name) if decl.name != old.name else []
        if readers:  # the input nodes reading it follow the new name, in the same step
            self.undo_stack.beginMacro(f"Rename input {old.name} to {decl.name}")
        if decl != old:
            self.undo_stack.push(EditInputCommand(self.document, row, decl))
        for node_id, config in readers:
            config.pop("name", None)
            if node_id != decl.name:
                config["name"] = decl.name
            self.undo_stack.push(SetConfigCommand(self.document, node_id, config, "input name"))
        if readers:
            self.undo_stack.endMacro()
        self.accepted.emit()

    def _readers(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        """The input nodes that read the input `name`, each with a copy of its config."""
        return [
            (node.id, dict(node.config))
            for node in self.document.nodes
            if node.kind == "input" and (node.config.get("name") or node.id) == name
        ]

    def _row_decl(self, row: int) -> InputDecl:
        def text(column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        type_ = text(TYPE)
        required = self.table.item(row, REQUIRED)
        where = f"inputs.{row}"
        data = {
            "name": text(NAME).strip(),
            "type": type_,
            "default": parse_default(text(DEFAULT), type_, where),
            "required": required is not None and required.checkState() == Qt.CheckState.Checked,
            "description": text(DESCRIPTION),
        }
        return check_section(InputDecl, data, ("inputs", row))

    def _on_selection(self) -> None:
        self.remove_button.setEnabled(self.table.currentRow() >= 0 and self.table.rowCount() > 0)


def _tip(column: int) -> str:
    """What a column's field means (its description in the file's schema)."""
    return InputDecl.model_fields[COLUMNS[column].lower()].description or ""


def _nth(stem: str, i: int) -> str:
    return stem if i == 1 else f"{stem}_{i}"
