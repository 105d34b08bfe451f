"""The llm node's route form in the inspector: model, tier, sensitivity and the escalation
ladder (add, reorder, per-step threshold, remove) through real widgets, each edit one undo
step, an empty ladder refused with its reason, saved and reopened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QListWidget, QToolButton
from pytestqt.qtbot import QtBot

from desktop.inspector import route_form
from desktop.inspector.inspector import InspectorWidget
from engine.nodes.base import NodeRegistry
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import load_workflow, loads_workflow

LLM = """version: 1
metadata: {name: r}
nodes:
  - id: ask
    kind: llm
    config:
      prompt: 'Sort {{ in }}'
      route: {fallback: [backup-model]}
"""


@pytest.fixture(autouse=True)
def _known_models() -> Iterator[None]:
    models = route_form.model_ids()
    before = (models.ids, models.listed)
    models.ids, models.listed = ["qwen-small", "qwen-large", "cloud/gpt"], True
    yield
    models.ids, models.listed = before


def _view(qtbot: QtBot, document: WorkflowDocument, registry: NodeRegistry) -> InspectorWidget:
    view = InspectorWidget(document, registry, QUndoStack())
    qtbot.addWidget(view)
    view.resize(420, 1000)
    view.show()
    view.show_node("ask")
    return view


def _child(view: InspectorWidget, kind: type, name: str):  # type: ignore[no-untyped-def]
    widget = view.findChild(kind, name)
    assert widget is not None, name
    return widget


def _pick(combo: QComboBox, data: str) -> None:
    combo.setCurrentIndex(combo.findData(data))
    combo.activated.emit(combo.currentIndex())


def _route(document: WorkflowDocument) -> dict:  # type: ignore[type-arg]
    return document.node("ask").config["route"]


def test_ladder_is_built_reordered_and_saved(
    qtbot: QtBot, registry: NodeRegistry, tmp_path: Path
) -> None:
    document = WorkflowDocument(loads_workflow(LLM).workflow)
    view = _view(qtbot, document, registry)
    stack = view.undo_stack
    _pick(_child(view, QComboBox, "route_sensitivity"), "confidential")
    assert _route(document) == {"sensitivity": "confidential", "fallback": ["backup-model"]}

    _child(view, QCheckBox, "route_escalate").click()
    assert _route(document)["escalate"] == {}
    _pick(_child(view, QComboBox, "route_ladder_mode"), "list")
    assert _child(view, QListWidget, "route_ladder").isEnabled()  # waits for its first model
    assert _route(document)["escalate"] == {} and stack.count() == 2

    add = _child(view, QComboBox, "route_add_model")
    for model in ("qwen-large", "cloud/gpt"):
        assert add.findText(model) >= 0  # offered from the known models
        add.setCurrentText(model)
        _child(view, QToolButton, "route_ladder_add").click()
    assert _route(document)["escalate"]["to"] == ["qwen-large", "cloud/gpt"]
    ladder = _child(view, QListWidget, "route_ladder")
    ladder.setCurrentRow(1)
    _child(view, QToolButton, "route_ladder_up").click()
    assert _route(document)["escalate"]["to"] == ["cloud/gpt", "qwen-large"]
    ladder.setCurrentRow(1)
    _child(view, QDoubleSpinBox, "route_rung_confidence").setValue(0.8)
    assert _route(document)["escalate"]["to"] == [
        "cloud/gpt",
        {"model": "qwen-large", "min_confidence": 0.8},
    ]
    assert ladder.item(1).text() == "qwen-large  (below 0.80 goes on)"
    assert stack.count() == 6

    stack.undo()
    assert _route(document)["escalate"]["to"] == ["cloud/gpt", "qwen-large"]
    assert ladder.item(1).text() == "qwen-large"
    stack.redo()

    path = document.save(tmp_path / "r.interlock.yaml")
    again = _view(qtbot, WorkflowDocument(load_workflow(path).workflow), registry)
    items = _child(again, QListWidget, "route_ladder")
    assert [items.item(i).text() for i in range(items.count())] == [
        "cloud/gpt",
        "qwen-large  (below 0.80 goes on)",
    ]
    assert _child(again, QComboBox, "route_sensitivity").currentData() == "confidential"
    assert _child(again, QCheckBox, "route_escalate").isChecked()

    ladder = _child(again, QListWidget, "route_ladder")
    ladder.setCurrentRow(0)
    _child(again, QToolButton, "route_ladder_remove").click()
    assert again.document.node("ask").config["route"]["escalate"]["to"] == [
        {"model": "qwen-large", "min_confidence": 0.8}
    ]
    assert again.document.node("ask").config["route"]["fallback"] == ["backup-model"]
    ladder.setCurrentRow(0)
    _child(again, QToolButton, "route_ladder_remove").click()
    assert again.errors.text() == "Route: add at least one model to escalate to, or pick auto"
    assert [ladder.item(i).text() for i in range(ladder.count())] == [
        "qwen-large  (below 0.80 goes on)"
    ]
    assert again.document.node("ask").config["route"]["escalate"]["to"] == [
        {"model": "qwen-large", "min_confidence": 0.8}
    ]
