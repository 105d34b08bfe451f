"""The map node's item policy in the inspector: on error as a choice and the item's retries
as the retry form, each edit one undo step through the document, saved and reopened; a
policy left at its defaults stays out of the file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QPlainTextEdit, QSpinBox
from pytestqt.qtbot import QtBot

from desktop.inspector.item_policy_form import ItemPolicyEditor
from engine.nodes.base import NodeRegistry
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import load_workflow
from engine.workflow.model import Metadata, Node, Workflow
from tests.desktop.test_policy_form import _inspector


def _map_document() -> WorkflowDocument:
    each = Node(
        id="each",
        kind="map",
        config={"template": {"kind": "template", "config": {"template": "<{{ in }}>"}}},
    )
    return WorkflowDocument(Workflow(metadata=Metadata(name="items"), nodes=[each]))


def _choose(combo: QComboBox, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))
    combo.activated.emit(combo.currentIndex())


def test_item_policy_is_a_form_whose_edits_are_undo_steps(
    qtbot: QtBot, registry: NodeRegistry, undo_stack: QUndoStack, tmp_path: Path
) -> None:
    document = _map_document()
    view = _inspector(qtbot, document, registry, undo_stack, "each")
    assert view.config_form is not None
    assert isinstance(view.config_form.editor("item_policy"), ItemPolicyEditor)
    assert view.findChild(QPlainTextEdit, "field_item_policy") is None  # no raw JSON
    on_error = view.findChild(QComboBox, "item_on_error")
    attempts = view.findChild(QSpinBox, "item_retry_max_attempts")
    assert on_error is not None and on_error.currentData() == "fail"
    assert attempts is not None and attempts.value() == 1
    assert view.findChild(QSpinBox, "retry_max_attempts") is not None  # the node's own, apart

    _choose(on_error, "collect")
    assert document.node("each").config["item_policy"] == {"on_error": "collect"}
    kind = registry.get("map")
    assert kind is not None
    ports = kind.output_ports(kind.parse_config(document.node("each").config))
    assert [p.name for p in ports] == ["results", "errors"]  # the port the choice adds
    attempts.setFocus()
    attempts.selectAll()
    QTest.keyClicks(attempts, "3")
    QTest.keyClick(attempts, Qt.Key.Key_Return)
    validation = view.findChild(QCheckBox, "item_retry_on_validation")
    assert validation is not None
    validation.click()
    policy = document.node("each").config["item_policy"]
    assert policy["on_error"] == "collect"
    assert policy["retry"]["max_attempts"] == 3
    assert policy["retry"]["retry_on"] == ["transient", "timeout", "validation"]
    assert document.node("each").policy.retry.max_attempts == 1  # the node's own: untouched
    assert undo_stack.count() == 3

    undo_stack.undo()
    undo_stack.undo()
    assert document.node("each").config["item_policy"] == {"on_error": "collect"}
    assert view.findChild(QSpinBox, "item_retry_max_attempts").value() == 1
    undo_stack.undo()
    assert "item_policy" not in document.node("each").config  # defaults: out of the file
    assert view.findChild(QComboBox, "item_on_error").currentData() == "fail"
    undo_stack.redo()
    undo_stack.redo()
    undo_stack.redo()

    path = document.save(tmp_path / "items.interlock.yaml")
    reopened = WorkflowDocument(load_workflow(path).workflow)
    assert reopened.node("each").config["item_policy"] == policy
    again = _inspector(qtbot, reopened, registry, QUndoStack(), "each")
    assert again.findChild(QComboBox, "item_on_error").currentData() == "collect"
    assert again.findChild(QSpinBox, "item_retry_max_attempts").value() == 3
    assert again.findChild(QCheckBox, "item_retry_on_validation").isChecked()

    _choose(again.findChild(QComboBox, "item_on_error"), "fail")
    assert reopened.node("each").config["item_policy"] == {"retry": policy["retry"]}
