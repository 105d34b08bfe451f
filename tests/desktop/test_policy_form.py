"""The inspector's Policy form: retry, fallback, timeout and on-error edited through typed
widgets, each edit one undo step, refused values explained and never in the model, saved
and reopened; approval nodes have one Title, however their file spells it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QSpinBox
from pytestqt.qtbot import QtBot

from desktop.inspector.inspector import InspectorWidget
from engine.nodes.approval import ApprovalKind
from engine.nodes.base import NodeRegistry
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import load_workflow, loads_workflow
from engine.workflow.model import NodePolicy


def _inspector(
    qtbot: QtBot, document: WorkflowDocument, registry: NodeRegistry, stack: QUndoStack, node: str
) -> InspectorWidget:
    view = InspectorWidget(document, registry, stack)
    qtbot.addWidget(view)
    view.resize(420, 900)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    view.show_node(node)
    return view


def _type(qtbot: QtBot, line: QLineEdit, text: str) -> None:
    line.setFocus()
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)


def test_retry_edits_are_undo_steps_and_survive_save(
    qtbot: QtBot,
    document: WorkflowDocument,
    registry: NodeRegistry,
    undo_stack: QUndoStack,
    tmp_path: Path,
) -> None:
    view = _inspector(qtbot, document, registry, undo_stack, "b")
    attempts = view.findChild(QSpinBox, "retry_max_attempts")
    assert attempts is not None and attempts.value() == 1
    attempts.setFocus()
    attempts.selectAll()
    QTest.keyClicks(attempts, "4")
    QTest.keyClick(attempts, Qt.Key.Key_Return)
    assert document.node("b").policy.retry.max_attempts == 4
    validation = view.findChild(QCheckBox, "retry_on_validation")
    assert validation is not None and not validation.isChecked()
    validation.click()
    assert document.node("b").policy.retry.retry_on == ["transient", "timeout", "validation"]
    assert undo_stack.count() == 2

    undo_stack.undo()
    assert document.node("b").policy.retry.retry_on == ["transient", "timeout"]
    assert not view.findChild(QCheckBox, "retry_on_validation").isChecked()
    undo_stack.undo()
    assert document.node("b").policy == NodePolicy()
    assert view.findChild(QSpinBox, "retry_max_attempts").value() == 1
    undo_stack.redo()
    undo_stack.redo()
    assert document.node("b").policy.retry.max_attempts == 4

    on_error = view.policy_form.editor("on_error").widget
    assert isinstance(on_error, QComboBox)
    on_error.setCurrentIndex(on_error.findData("continue"))
    on_error.activated.emit(on_error.currentIndex())
    assert document.node("b").policy.on_error == "continue"

    path = document.save(tmp_path / "w.interlock.yaml")
    reopened = WorkflowDocument(load_workflow(path).workflow)
    again = _inspector(qtbot, reopened, registry, QUndoStack(), "b")
    assert again.findChild(QSpinBox, "retry_max_attempts").value() == 4
    assert again.findChild(QCheckBox, "retry_on_validation").isChecked()
    assert again.policy_form.editor("on_error").widget.currentData() == "continue"


def test_invalid_timeout_and_fallback_are_refused_with_a_reason(
    qtbot: QtBot, document: WorkflowDocument, registry: NodeRegistry, undo_stack: QUndoStack
) -> None:
    view = _inspector(qtbot, document, registry, undo_stack, "b")
    timeout = view.policy_form.editor("timeout_s").widget
    assert isinstance(timeout, QLineEdit)
    _type(qtbot, timeout, "soon")
    assert view.errors.text() == "Timeout (s): should be a number, not 'soon'"
    _type(qtbot, timeout, "-5")
    assert view.errors.text() == "Timeout (s): should be between 0 and 86400, not -5"
    assert document.node("b").policy == NodePolicy() and undo_stack.count() == 0
    _type(qtbot, timeout, "30")
    assert document.node("b").policy.timeout_s == 30

    enabled = view.findChild(QCheckBox, "fallback_enabled")
    enabled.click()
    assert document.node("b").policy.fallback is not None
    overrides = view.findChild(QPlainTextEdit, "fallback_config")
    overrides.setFocus()
    QTest.keyClicks(overrides, "{model: x}")
    view.findChild(QComboBox, "fallback_kind").setFocus()  # focus leaves: the edit is done
    assert view.errors.text().startswith("Fallback: the overrides are not valid JSON")
    assert document.node("b").policy.fallback.config == {}
    overrides.setPlainText('{"template": "sorry"}')
    overrides.setFocus()
    view.findChild(QComboBox, "fallback_kind").setFocus()
    assert document.node("b").policy.fallback.config == {"template": "sorry"}
    assert undo_stack.count() == 3


def test_edit_as_json_sets_what_the_form_cannot_and_refuses_bad_values(
    qtbot: QtBot, document: WorkflowDocument, registry: NodeRegistry, undo_stack: QUndoStack
) -> None:
    view = _inspector(qtbot, document, registry, undo_stack, "b")
    hatch = view.policy_json
    assert hatch is not None and not hatch.text.isVisibleTo(view)
    hatch.toggle.click()
    assert hatch.text.isVisibleTo(view)
    hatch.text.setPlainText('{"retry": {"max_attempts": 0}}')
    hatch.apply.click()
    assert view.errors.text() == "Policy retry.max_attempts: should be 1 or more, but is 0"
    assert document.node("b").policy == NodePolicy() and undo_stack.count() == 0
    hatch.text.setPlainText('{"retry": {"max_attempts": 3, "retry_on": ["any"]}}')
    hatch.apply.click()
    assert document.node("b").policy.retry.retry_on == ["any"]
    assert view.findChild(QSpinBox, "retry_max_attempts").value() == 3
    assert undo_stack.count() == 1


APPROVAL = """version: 1
metadata: {name: a}
nodes:
  - {id: old, kind: approval, config: {title: Ship it?}}
  - {id: new, kind: approval, title: Ship it?}
"""


def test_approval_node_has_one_title_from_either_spelling(
    qtbot: QtBot, registry: NodeRegistry, undo_stack: QUndoStack
) -> None:
    document = WorkflowDocument(loads_workflow(APPROVAL).workflow)
    for node_id in ("old", "new"):
        view = _inspector(qtbot, document, registry, undo_stack, node_id)
        assert view.title_edit is not None and view.title_edit.text() == "Ship it?"
        assert view.config_form is not None and "title" not in view.config_form.editors
        titles = [w for w in view.findChildren(QLineEdit) if w.text() == "Ship it?"]
        assert titles == [view.title_edit]
    kind = ApprovalKind()
    from engine.nodes.approval import dialog_title

    for node_id in ("old", "new"):
        node = document.node(node_id)
        assert dialog_title(kind.parse_config(node.config), node.title) == "Ship it?"

    view = _inspector(qtbot, document, registry, undo_stack, "old")
    _type(qtbot, view.title_edit, "Send the refund?")
    node = document.node("old")
    assert node.title == "Send the refund?" and "title" not in node.config
    assert undo_stack.count() == 1
    undo_stack.undo()
    node = document.node("old")
    assert node.title == "" and node.config == {"title": "Ship it?"}
    assert view.title_edit.text() == "Ship it?"
