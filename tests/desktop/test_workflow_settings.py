"""The workflow settings panel in the main window: metadata, declared inputs and policy
edited through the real widgets, each edit one undo step, refused values shown with the
message the file loader gives and never landing in the model, saved and reopened."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from desktop.workflow_settings.inputs_table import DEFAULT, DESCRIPTION, NAME, REQUIRED, TYPE
from desktop.workflow_settings.panel import WorkflowSettingsPanel
from engine.errors import WorkflowLoadError
from engine.workflow.loader import loads_workflow
from engine.workflow.model import InputDecl
from tests.desktop.conftest import chain_workflow

ERRORS = {"metadata": "metadata_errors", "inputs": "inputs_errors", "policy": "policy_errors"}


def file_message(yaml_text: str) -> str:
    """What the loader says about a workflow file with this text."""
    with pytest.raises(WorkflowLoadError) as caught:
        loads_workflow("version: 1\nmetadata: {name: w}\n" + yaml_text)
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 1, messages
    return messages[0]


def _panel(window: MainWindow) -> WorkflowSettingsPanel:
    window.settings_ui.show_panel()
    return window.settings_ui.panel


def _error_text(panel: WorkflowSettingsPanel, section: str) -> str:
    label = panel.errors[section]
    assert label.objectName() == ERRORS[section]
    return label.text() if label.isVisibleTo(panel) else ""


def _type_line(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Replace a line edit's text by typing, then press Enter (the edit is finished)."""
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(widget, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def _type_text(qtbot: QtBot, editor: QPlainTextEdit, text: str, away: QWidget) -> None:
    """Type into a multi-line field, then move the focus away (the edit is finished)."""
    editor.setFocus()
    editor.selectAll()
    QTest.keyClick(editor, Qt.Key.Key_Delete)
    for i, line in enumerate(text.split("\n")):
        if i:
            QTest.keyClick(editor, Qt.Key.Key_Return)
        qtbot.keyClicks(editor, line)
    away.setFocus()


def _save_and_reopen(window: MainWindow, path: Path) -> WorkflowSettingsPanel:
    assert window._save_to(path)
    assert window.open_path(path, ask=False)
    assert window.undo_stack.count() == 0
    return _panel(window)


def test_menu_and_shortcut_bring_the_panel_forward(qtbot: QtBot, window: MainWindow) -> None:
    dock = window.findChild(QDockWidget, "workflow_settings_dock")
    assert isinstance(dock, QDockWidget)
    assert window.workflow_menu is not None
    texts = [a.text() for a in window.workflow_menu.actions()]
    assert texts[0] == "Workflow &Settings…"
    action = window.workflow_menu.actions()[0]
    assert isinstance(action, QAction) and action.shortcut().toString() == "Ctrl+Shift+W"
    inspector = window.inspector.parentWidget()
    assert isinstance(inspector, QDockWidget)
    assert dock in window.tabifiedDockWidgets(inspector)
    assert dock.visibleRegion().isEmpty()  # behind the Inspector until asked for

    window.activateWindow()
    window.view.setFocus()
    QTest.keyClick(
        window.view,
        Qt.Key.Key_W,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())
    assert dock.toggleViewAction() in (window.panels_menu.actions() if window.panels_menu else [])

    window._load(chain_workflow(), None)
    window.settings_ui.show_panel()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())
    window.scene.select_nodes(["b"])  # a node picked to edit: its Inspector comes forward
    qtbot.waitUntil(lambda: not inspector.visibleRegion().isEmpty())
    assert dock.visibleRegion().isEmpty() and window.inspector.node_id == "b"


def test_metadata_edits_undo_redo_save_and_reopen(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    panel = _panel(window)
    name = panel.findChild(QLineEdit, "field_name")
    author = panel.findChild(QLineEdit, "field_author")
    tags = panel.findChild(QLineEdit, "field_tags")
    description = panel.findChild(QPlainTextEdit, "field_description")
    assert name is not None and author is not None and tags is not None
    assert description is not None and name.text() == "Untitled"

    _type_line(qtbot, name, "Summarise tickets")
    assert window.document.workflow.metadata.name == "Summarise tickets"
    assert window.windowTitle().startswith("Summarise tickets — ")
    assert window.undo_stack.count() == 1
    assert window.undo_stack.text(0) == "Edit workflow name"
    _type_text(qtbot, description, "One line per ticket.\nRuns daily.", author)
    _type_line(qtbot, author, "Ops")
    _type_line(qtbot, tags, "support, daily")
    metadata = window.document.workflow.metadata
    assert (metadata.description, metadata.author, metadata.tags) == (
        "One line per ticket.\nRuns daily.",
        "Ops",
        ["support", "daily"],
    )
    assert window.undo_stack.count() == 4

    window.undo_stack.undo()
    assert window.document.workflow.metadata.tags == [] and tags.text() == ""
    window.undo_stack.undo()
    assert author.text() == "" and window.document.workflow.metadata.author == ""
    window.undo_stack.redo()
    window.undo_stack.redo()
    assert tags.text() == "support, daily" and author.text() == "Ops"

    panel = _save_and_reopen(window, tmp_path / "tickets.interlock.yaml")
    shown = {n: panel.findChild(QLineEdit, f"field_{n}") for n in ("name", "author", "tags")}
    assert {n: w.text() for n, w in shown.items() if w is not None} == {
        "name": "Summarise tickets",
        "author": "Ops",
        "tags": "support, daily",
    }
    assert window.document.workflow.metadata.description == "One line per ticket.\nRuns daily."
    shown_description = panel.findChild(QPlainTextEdit, "field_description")
    assert shown_description is not None
    assert shown_description.toPlainText() == "One line per ticket.\nRuns daily."


def test_an_empty_name_is_refused_with_the_files_message(qtbot: QtBot, window: MainWindow) -> None:
    panel = _panel(window)
    name = panel.findChild(QLineEdit, "field_name")
    assert name is not None
    _type_line(qtbot, name, "")
    with pytest.raises(WorkflowLoadError) as caught:
        loads_workflow("version: 1\nmetadata: {name: ''}\n")
    expected = caught.value.problems[0].message
    assert expected == "metadata.name: should not be empty"
    assert _error_text(panel, "metadata") == expected
    assert window.document.workflow.metadata.name == "Untitled"
    assert window.undo_stack.count() == 0
    assert "border" in name.styleSheet()

    _type_line(qtbot, name, "Fixed")
    assert _error_text(panel, "metadata") == ""
    assert window.document.workflow.metadata.name == "Fixed"


def _table(panel: WorkflowSettingsPanel) -> QTableWidget:
    panel.show_section("inputs")
    table = panel.findChild(QTableWidget, "inputs_table")
    assert isinstance(table, QTableWidget)
    return table


def _edit_cell(qtbot: QtBot, table: QTableWidget, row: int, column: int, text: str) -> None:
    """Double-click the cell, type over its text, press Enter."""
    item = table.item(row, column)
    assert item is not None
    table.scrollToItem(item)
    centre = table.visualItemRect(item).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit), editor
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    # The table commits an edit finished by Enter from the event loop, right after.
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState)


def _choose_type(qtbot: QtBot, table: QTableWidget, row: int, typed: str) -> None:
    """Double-click the Type cell and pick from its list by typing the start of a type."""
    item = table.item(row, TYPE)
    assert item is not None
    centre = table.visualItemRect(item).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    combo = table.findChild(QComboBox, "input_type")
    assert isinstance(combo, QComboBox)
    qtbot.waitUntil(combo.view().isVisible)  # the list opens by itself
    qtbot.keyClicks(combo.view(), typed)
    QTest.keyClick(combo.view(), Qt.Key.Key_Return)


def _button(panel: WorkflowSettingsPanel, name: str) -> QWidget:
    button = panel.findChild(QWidget, name)
    assert button is not None
    return button


def _decls(window: MainWindow) -> list[tuple[str, str, object, bool, str]]:
    return [
        (d.name, d.type, d.default, d.required, d.description)
        for d in window.document.workflow.inputs
    ]


def test_inputs_add_edit_remove_undo_save_and_reopen(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    panel = _panel(window)
    table = _table(panel)
    qtbot.mouseClick(_button(panel, "add_input"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(_button(panel, "add_input"), Qt.MouseButton.LeftButton)
    assert _decls(window) == [
        ("input", "string", None, False, ""),
        ("input_2", "string", None, False, ""),
    ]
    assert table.rowCount() == 2 and window.undo_stack.count() == 2

    _edit_cell(qtbot, table, 0, NAME, "ticket")
    _edit_cell(qtbot, table, 0, DESCRIPTION, "The ticket's text")
    _edit_cell(qtbot, table, 0, DEFAULT, "no ticket")
    required = table.item(0, REQUIRED)
    assert required is not None
    required.setCheckState(Qt.CheckState.Checked)  # what a click on the box does
    _choose_type(qtbot, table, 1, "int")
    assert window.document.workflow.inputs[1].type == "integer"
    _edit_cell(qtbot, table, 1, DEFAULT, "3")
    assert _decls(window) == [
        ("ticket", "string", "no ticket", True, "The ticket's text"),
        ("input_2", "integer", 3, False, ""),
    ]
    assert window.undo_stack.count() == 8
    assert window.undo_stack.text(7) == "Edit input input_2"

    window.undo_stack.undo()  # the default
    item = table.item(1, DEFAULT)
    assert item is not None and item.text() == ""
    window.undo_stack.redo()
    assert item.text() == "3"

    table.selectRow(1)
    qtbot.mouseClick(_button(panel, "remove_input"), Qt.MouseButton.LeftButton)
    assert [d[0] for d in _decls(window)] == ["ticket"] and table.rowCount() == 1
    window.undo_stack.undo()
    assert [d[0] for d in _decls(window)] == ["ticket", "input_2"] and table.rowCount() == 2

    panel = _save_and_reopen(window, tmp_path / "inputs.interlock.yaml")
    table = _table(panel)
    assert _decls(window) == [
        ("ticket", "string", "no ticket", True, "The ticket's text"),
        ("input_2", "integer", 3, False, ""),
    ]
    cells = [[table.item(r, c).text() for c in (NAME, DEFAULT, DESCRIPTION)] for r in range(2)]  # type: ignore[union-attr]
    assert cells == [["ticket", "no ticket", "The ticket's text"], ["input_2", "3", ""]]
    assert table.item(1, TYPE).text() == "integer"  # type: ignore[union-attr]


def test_invalid_inputs_are_refused_and_the_model_is_unchanged(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.document.add_input(InputDecl(name="topic"))
    window.document.add_input(InputDecl(name="count", type="integer"))
    panel = _panel(window)
    table = _table(panel)
    before = window.document.workflow.model_copy(deep=True)

    _edit_cell(qtbot, table, 1, NAME, "2nd count")
    expected = file_message("inputs: [{name: topic}, {name: '2nd count'}]\n")
    assert expected.startswith("inputs.1.name: should be a name of letters, digits and _")
    assert _error_text(panel, "inputs") == expected
    assert table.item(1, NAME).text() == "count"  # type: ignore[union-attr]

    _edit_cell(qtbot, table, 1, NAME, "topic")
    assert _error_text(panel, "inputs") == "inputs.1.name: duplicate input 'topic'"

    _edit_cell(qtbot, table, 1, DEFAULT, "three")
    assert _error_text(panel, "inputs") == ("inputs.1.default: not JSON (Expecting value)")
    assert table.item(1, DEFAULT).text() == ""  # type: ignore[union-attr]
    assert window.document.workflow == before and window.undo_stack.count() == 0

    _edit_cell(qtbot, table, 1, NAME, "amount")
    assert _error_text(panel, "inputs") == ""
    assert [d.name for d in window.document.workflow.inputs] == ["topic", "amount"]


def test_policy_edits_undo_redo_save_and_reopen(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    panel = _panel(window)
    panel.show_section("policy")
    offline = panel.findChild(QCheckBox, "field_offline")
    parallel = panel.findChild(QSpinBox, "field_max_parallelism")
    models = panel.findChild(QLineEdit, "field_allowed_models")
    tools = panel.findChild(QLineEdit, "field_allowed_tools")
    cost = panel.findChild(QLineEdit, "field_max_cost_usd")
    tokens = panel.findChild(QLineEdit, "field_max_tokens")
    on_exceed = panel.findChild(QComboBox, "field_on_exceed")
    scopes = panel.findChild(QPlainTextEdit, "field_tool_scopes")
    rules = panel.findChild(QPlainTextEdit, "field_approval_rules")
    widgets = (offline, parallel, models, tools, cost, tokens, on_exceed, scopes, rules)
    assert all(w is not None for w in widgets)
    assert isinstance(offline, QCheckBox) and isinstance(parallel, QSpinBox)
    assert isinstance(models, QLineEdit) and isinstance(tools, QLineEdit)
    assert isinstance(cost, QLineEdit) and isinstance(tokens, QLineEdit)
    assert isinstance(on_exceed, QComboBox) and isinstance(scopes, QPlainTextEdit)
    assert isinstance(rules, QPlainTextEdit)
    assert models.placeholderText() == "any configured model"

    qtbot.mouseClick(offline, Qt.MouseButton.LeftButton, pos=QPoint(8, offline.height() // 2))
    assert window.document.workflow.policy.offline is True
    _type_line(qtbot, parallel.lineEdit(), "8")
    _type_line(qtbot, models, "local:qwen2.5-0.5b, gpt-4o-mini")
    _type_line(qtbot, tools, "knowledge_search")
    _type_line(qtbot, cost, "2.5")
    _type_line(qtbot, tokens, "200000")
    on_exceed.setFocus()
    QTest.keyClick(on_exceed, Qt.Key.Key_Down)
    _type_text(qtbot, scopes, '{"knowledge_search": {"folders": ["knowledge"]}}', models)
    _type_text(qtbot, rules, '[{"name": "writes", "side_effects": ["write"]}]', models)
    policy = window.document.workflow.policy
    assert policy.offline and policy.max_parallelism == 8
    assert policy.allowed_models == ["local:qwen2.5-0.5b", "gpt-4o-mini"]
    assert policy.allowed_tools == ["knowledge_search"]
    assert (policy.budget.max_cost_usd, policy.budget.max_tokens) == (2.5, 200000)
    assert policy.budget.on_exceed == "downgrade"
    assert policy.tool_scopes == {"knowledge_search": {"folders": ["knowledge"]}}
    assert policy.approval_rules == [{"name": "writes", "side_effects": ["write"]}]
    assert window.undo_stack.count() == 9

    window.undo_stack.undo()
    assert window.document.workflow.policy.approval_rules == []
    assert rules.toPlainText() == "[]"
    for _ in range(7):
        window.undo_stack.undo()
    assert parallel.value() == 4 and models.text() == "" and offline.isChecked()
    window.undo_stack.undo()
    assert not offline.isChecked() and window.document.workflow.policy.offline is False
    while window.undo_stack.canRedo():
        window.undo_stack.redo()
    assert window.document.workflow.policy == policy

    panel = _save_and_reopen(window, tmp_path / "policy.interlock.yaml")
    assert window.document.workflow.policy == policy
    shown = {
        name: panel.findChild(QLineEdit, f"field_{name}")
        for name in ("allowed_models", "allowed_tools", "max_cost_usd", "max_tokens")
    }
    assert {n: w.text() for n, w in shown.items() if w is not None} == {
        "allowed_models": "local:qwen2.5-0.5b, gpt-4o-mini",
        "allowed_tools": "knowledge_search",
        "max_cost_usd": "2.5",
        "max_tokens": "200000",
    }
    reopened = panel.findChild(QSpinBox, "field_max_parallelism")
    assert isinstance(reopened, QSpinBox) and reopened.value() == 8
    box = panel.findChild(QCheckBox, "field_offline")
    assert isinstance(box, QCheckBox) and box.isChecked()


def test_allowed_models_tells_no_model_from_any_model(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """Unset: any configured model; "Only those listed" with no names: none at all, which
    survives save and reopen as an empty list."""
    panel = _panel(window)
    panel.show_section("policy")
    models = panel.findChild(QLineEdit, "field_allowed_models")
    only = panel.findChild(QCheckBox, "field_allowed_models_only")
    assert isinstance(models, QLineEdit) and isinstance(only, QCheckBox)
    assert not only.isChecked() and models.placeholderText() == "any configured model"

    qtbot.mouseClick(only, Qt.MouseButton.LeftButton, pos=QPoint(8, only.height() // 2))
    assert window.document.workflow.policy.allowed_models == []
    assert models.placeholderText() == "none: no model may be used"
    _type_line(qtbot, models, "gpt-4o-mini")
    assert window.document.workflow.policy.allowed_models == ["gpt-4o-mini"]
    _type_line(qtbot, models, "")  # the box stays on: nothing allowed
    assert window.document.workflow.policy.allowed_models == []
    assert only.isChecked() and window.undo_stack.count() == 3
    window.undo_stack.undo()
    assert models.text() == "gpt-4o-mini" and only.isChecked()
    window.undo_stack.redo()

    panel = _save_and_reopen(window, tmp_path / "none.interlock.yaml")
    assert "allowed_models: []" in (tmp_path / "none.interlock.yaml").read_text()
    assert window.document.workflow.policy.allowed_models == []
    only = panel.findChild(QCheckBox, "field_allowed_models_only")
    models = panel.findChild(QLineEdit, "field_allowed_models")
    assert isinstance(only, QCheckBox) and isinstance(models, QLineEdit)
    assert only.isChecked() and models.text() == ""

    qtbot.mouseClick(only, Qt.MouseButton.LeftButton, pos=QPoint(8, only.height() // 2))
    assert window.document.workflow.policy.allowed_models is None  # any model again
    assert models.placeholderText() == "any configured model"
    panel = _save_and_reopen(window, tmp_path / "any.interlock.yaml")
    assert "allowed_models" not in (tmp_path / "any.interlock.yaml").read_text()
    only = panel.findChild(QCheckBox, "field_allowed_models_only")
    assert isinstance(only, QCheckBox) and not only.isChecked()


@pytest.mark.parametrize(
    ("field", "typed", "yaml_value"),
    [
        ("max_tokens", "-5", "{budget: {max_tokens: -5}}"),
        ("max_tokens", "lots", "{budget: {max_tokens: lots}}"),
        ("max_cost_usd", "-1", "{budget: {max_cost_usd: -1}}"),
        ("max_run_chars", "20000000000", "{templates: {max_run_chars: 20000000000}}"),
    ],
)
def test_invalid_policy_values_show_the_files_message(
    qtbot: QtBot, window: MainWindow, field: str, typed: str, yaml_value: str
) -> None:
    panel = _panel(window)
    panel.show_section("policy")
    before = window.document.workflow.model_copy(deep=True)
    editor = panel.findChild(QLineEdit, f"field_{field}")
    assert isinstance(editor, QLineEdit)
    _type_line(qtbot, editor, typed)
    expected = file_message(f"policy: {yaml_value}\n")
    assert _error_text(panel, "policy") == expected
    assert window.document.workflow == before and window.undo_stack.count() == 0


def test_malformed_json_and_rules_in_the_policy(qtbot: QtBot, window: MainWindow) -> None:
    panel = _panel(window)
    panel.show_section("policy")
    scopes = panel.findChild(QPlainTextEdit, "field_tool_scopes")
    rules = panel.findChild(QPlainTextEdit, "field_approval_rules")
    models = panel.findChild(QLineEdit, "field_allowed_models")
    assert isinstance(scopes, QPlainTextEdit) and isinstance(rules, QPlainTextEdit)
    assert isinstance(models, QLineEdit)

    _type_text(qtbot, scopes, '{"read_file": ', models)
    assert _error_text(panel, "policy").startswith("policy.tool_scopes: not JSON (")
    _type_text(qtbot, scopes, '["read_file"]', models)
    assert _error_text(panel, "policy") == file_message("policy: {tool_scopes: [read_file]}\n")
    assert window.document.workflow.policy.tool_scopes == {} and window.undo_stack.count() == 0

    # A rule the file accepts but Validate rejects lands; Problems says what is wrong.
    _type_text(qtbot, rules, '[{"when": "sometimes"}]', models)
    assert window.document.workflow.policy.approval_rules == [{"when": "sometimes"}]
    window.validate_now()
    assert any("policy.approval_rules[0]" in m for m in window.problems.messages())


def test_renaming_an_input_renames_what_its_input_nodes_read(
    qtbot: QtBot, window: MainWindow
) -> None:
    """A newcomer's input node `input` (declared when added) renamed in the table to
    `ticket`: the node reads `ticket`, the workflow still validates, and one undo puts
    both back."""
    palette = window.palette_widget
    item = palette.item_for("input")
    assert item is not None
    palette.list.itemDoubleClicked.emit(item)
    assert window.document.has_input("input") and window.validate_now().ok
    panel = _panel(window)
    table = _table(panel)
    steps = window.undo_stack.count()

    _edit_cell(qtbot, table, 0, NAME, "ticket")
    assert [d.name for d in window.document.workflow.inputs] == ["ticket"]
    assert window.document.node("input").config.get("name") == "ticket"
    assert window.validate_now().ok, window.problems.messages()
    assert window.undo_stack.count() == steps + 1
    assert window.undo_stack.text(steps) == "Rename input input to ticket"

    window.undo_stack.undo()
    assert [d.name for d in window.document.workflow.inputs] == ["input"]
    assert "name" not in window.document.node("input").config
    assert window.validate_now().ok


def test_where_map_items_run_is_chosen_validated_undone_and_saved(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window._load(chain_workflow(), None)
    panel = _panel(window)
    box = panel.executor
    panel.show_section("policy")
    assert box.kind.currentText() == "Default: here, or the config's [cluster]"
    assert not box.address.isVisibleTo(panel)  # only for a cluster
    assert window.document.workflow.policy.executor is None

    box.kind.setCurrentIndex(box.kind.findData("ray"))
    box.kind.activated.emit(box.kind.currentIndex())  # what a person's pick sends
    assert box.address.isVisibleTo(panel)
    policy = window.document.workflow.policy
    assert policy.executor is not None and policy.executor.kind == "ray"
    assert policy.executor.address is None  # the cluster started on this machine

    _type_line(qtbot, box.address, "not an address")
    expected = file_message(
        "policy: {executor: {kind: ray, address: not an address}}\nnodes: []\nedges: []\n"
    )
    assert expected.split(": ", 1)[-1] in _error_text(panel, "policy")
    policy = window.document.workflow.policy
    assert policy.executor is not None and policy.executor.address is None  # refused

    _type_line(qtbot, box.address, "10.0.0.5:6390")
    assert _error_text(panel, "policy") == ""
    policy = window.document.workflow.policy
    assert policy.executor is not None and policy.executor.address == "10.0.0.5:6390"
    window.undo_stack.undo()
    policy = window.document.workflow.policy
    assert policy.executor is not None and policy.executor.address is None
    assert box.address.text() == ""  # the form follows the model
    window.undo_stack.redo()

    reopened = _save_and_reopen(window, tmp_path / "w.interlock.yaml")
    assert "address: 10.0.0.5:6390" in (tmp_path / "w.interlock.yaml").read_text()
    assert reopened.executor.kind.currentData() == "ray"
    assert reopened.executor.address.text() == "10.0.0.5:6390"
    reopened.executor.kind.setCurrentIndex(0)
    reopened.executor.kind.activated.emit(0)  # back to unset: no executor in the file
    assert window.document.workflow.policy.executor is None
    assert window._save_to(tmp_path / "w.interlock.yaml")
    assert "executor" not in (tmp_path / "w.interlock.yaml").read_text()
