"""Ports follow prompts: a prompt that reads a name no input port gives is a warning in
Problems and on the node, and the Inspector adds the port; renaming a port in the
Inspector moves its edges in the same undo step."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engine.workflow.model import Workflow
from tests.desktop.conftest import chain_workflow
from tests.desktop.test_workflow_settings import _type_line


def _warnings(window: MainWindow) -> list[str]:
    window.validate_now()
    return [m for m in window.problems.messages() if "not an input port" in m]


def test_a_prompt_name_without_a_port_warns_and_the_inspector_adds_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    data = chain_workflow().model_dump()
    data["nodes"][1]["config"] = {"template": "{{ in }} about {{ topic }}, {{ inputs.in }}"}
    window._load(Workflow.model_validate(data), None)
    expected = "node 'b': the template uses {{ topic }}, which is not an input port; " + (
        "add it to the node's inputs"
    )
    assert _warnings(window) == [expected]
    assert window.problems.by_node["b"] == [expected]  # the node's badge lists it
    assert window.last_report.ok  # a warning: the workflow still runs

    window.reveal_node("b")
    button = window.inspector.findChild(QPushButton, "add_port_topic")
    assert isinstance(button, QPushButton) and button.isVisibleTo(window.inspector)
    assert window.inspector.findChild(QPushButton, "add_port_in") is None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.document.node("b").config["inputs"] == ["in", "topic"]
    assert "topic" in window.scene.node_items["b"].inputs
    assert _warnings(window) == []
    assert window.inspector.findChild(QPushButton, "add_port_topic") is None
    assert window.undo_stack.count() == 1

    window.undo_stack.undo()
    assert "inputs" not in window.document.node("b").config
    assert _warnings(window) == [expected]


def test_renaming_a_port_in_the_inspector_moves_its_edges(qtbot: QtBot, window: MainWindow) -> None:
    window._load(chain_workflow(), None)
    window.reveal_node("b")
    ports = window.inspector.findChild(QLineEdit, "field_inputs")
    assert isinstance(ports, QLineEdit) and ports.text() == "in"
    _type_line(qtbot, ports, "text")
    document = window.document
    assert document.node("b").config["inputs"] == ["text"]
    assert [f"{e.source}->{e.target}" for e in document.edges] == [
        "a.text->b.text",
        "b.text->out.value",
    ]
    assert ("a", "text", "b", "text") in window.scene.edge_items
    assert window.undo_stack.count() == 1
    assert window.undo_stack.text(0) == "Rename port in of b to text"

    window.undo_stack.undo()
    assert "inputs" not in document.node("b").config
    assert [f"{e.source}->{e.target}" for e in document.edges] == [
        "a.text->b.in",
        "b.text->out.value",
    ]
    window.undo_stack.redo()
    assert document.edges[0].target.port == "text"

    _type_line(qtbot, ports, "text, extra")  # adding a port is no rename: edges stay
    assert document.node("b").config["inputs"] == ["text", "extra"]
    assert document.edges[0].target.port == "text" and window.undo_stack.count() == 2
