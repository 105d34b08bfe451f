"""The palette, inspector and problems docks, each through the main window."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from desktop.canvas.view import KIND_MIME
from desktop.inspector.fields import ChoiceEditor, MultilineEditor, SpinEditor, StringListEditor
from desktop.main_window import MainWindow
from engine.workflow.model import Workflow
from tests.desktop.conftest import chain_workflow


def _load(window: MainWindow, workflow: Workflow) -> None:
    window._load(workflow, None)


def test_palette_lists_every_kind_and_filters(window: MainWindow) -> None:
    palette = window.palette_widget
    assert set(palette.kinds_shown()) == set(window.registry.names())
    palette.search.setText("language model")
    shown = palette.kinds_shown()
    assert "llm" in shown and "template" not in shown
    palette.search.setText("")
    assert len(palette.kinds_shown()) == len(window.registry.names())


def test_double_click_in_palette_adds_node_at_view_centre(qtbot: QtBot, window: MainWindow) -> None:
    _load(window, chain_workflow())
    palette = window.palette_widget
    item = palette.item_for("template")
    assert item is not None
    rect = palette.list.visualItemRect(item)
    qtbot.mouseClick(palette.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(palette.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    node = window.document.node("template")
    assert node.kind == "template" and node.config == {"template": "{{ in }}"}
    item_ = window.scene.node_items["template"]
    centre = window.view.visible_center()
    assert abs(item_.sceneBoundingRect().center().x() - centre.x()) < 5
    assert window.scene.selected_node_ids() == ["template"]
    assert window.inspector.node_id == "template"
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert "template" not in window.scene.node_items and not window.isWindowModified()


def test_dropping_a_kind_adds_it_at_the_drop_point(window: MainWindow) -> None:
    data = QMimeData()
    data.setData(KIND_MIME, b"llm")
    view = window.view
    at = QPoint(200, 150)
    event = QDropEvent(
        QPointF(at),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(event)
    item = window.scene.node_items["llm"]
    target = view.mapToScene(at)
    assert abs(item.pos().x() + 100 - target.x()) < 1
    assert window.document.node("llm").kind == "llm"


def test_inspector_edits_are_undoable_commands(window: MainWindow) -> None:
    _load(window, chain_workflow())
    window.scene.select_nodes(["b"])
    inspector = window.inspector
    assert inspector.node_id == "b" and inspector.config_form is not None
    template = inspector.config_form.editor("template")
    assert isinstance(template, MultilineEditor)
    assert template.text.toPlainText() == "{{ in }}!"

    template.text.setPlainText("{{ in }}?")
    template.commit()  # what leaving the field does
    assert window.document.node("b").config["template"] == "{{ in }}?"
    assert window.undo_stack.undoText() == "Edit template of b"

    inputs = inspector.config_form.editor("inputs")
    assert isinstance(inputs, StringListEditor)
    inputs.line.setText("x, y")
    inputs.commit()
    assert window.document.node("b").config["inputs"] == ["x", "y"]
    assert list(window.scene.node_items["b"].inputs) == ["x", "y"]

    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.document.node("b").config == {"template": "{{ in }}!"}
    assert template.text.toPlainText() == "{{ in }}!"
    assert inputs.line.text() == "in"


def test_inspector_choices_numbers_title_and_policy(window: MainWindow) -> None:
    _load(window, chain_workflow())
    window.scene.add_node_of_kind("join", QPointF(0, 300))
    inspector = window.inspector
    assert inspector.node_id == "join" and inspector.config_form is not None
    mode = inspector.config_form.editor("mode")
    assert isinstance(mode, ChoiceEditor)
    mode.combo.setCurrentIndex(mode.combo.findData("quorum"))
    mode.commit()
    quorum = inspector.config_form.editor("quorum")
    assert isinstance(quorum, SpinEditor) and quorum.spin.minimum() == 1
    quorum.spin.setValue(2)
    assert window.document.node("join").config == {"mode": "quorum", "quorum": 2}
    quorum.spin.setValue(1)  # back to the default: the key is left out again
    assert window.document.node("join").config == {"mode": "quorum"}

    assert inspector.title_edit is not None
    inspector.title_edit.setText("Gather")
    inspector.title_edit.editingFinished.emit()
    assert window.scene.node_items["join"].title == "Gather"

    assert inspector.policy_form is not None
    on_error = inspector.policy_form.editor("on_error")
    assert isinstance(on_error, ChoiceEditor)
    on_error.combo.setCurrentIndex(on_error.combo.findData("route"))
    on_error.commit()
    assert window.document.node("join").policy.on_error == "route"
    assert "error" in window.scene.node_items["join"].outputs

    steps = window.undo_stack.count()
    for _ in range(steps):
        window.undo_stack.undo()
    assert not window.document.has_node("join")


def test_problems_panel_lists_errors_and_click_selects_node(
    qtbot: QtBot, window: MainWindow
) -> None:
    workflow = chain_workflow()
    workflow.edges.pop()  # out.value is no longer fed
    _load(window, workflow)
    messages = window.problems.messages()
    assert "node 'out': input port 'value' is not connected" in messages
    row = messages.index("node 'out': input port 'value' is not connected")
    item = window.problems.topLevelItem(row)
    assert item is not None and item.text(1) == "out"
    window.scene.clearSelection()
    rect = window.problems.visualItemRect(item)
    qtbot.mouseClick(window.problems.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == ["out"]
    assert window.inspector.node_id == "out"

    # Fixing it through the canvas clears the problem after the (debounced) re-validation.
    window.scene.connect_ports(*_refs("b.text", "out.value"))
    qtbot.waitUntil(lambda: window.problems.messages() == [])


def _refs(source: str, target: str) -> tuple[object, object]:
    from engine.workflow.model import PortRef

    s_node, s_port = source.split(".")
    t_node, t_port = target.split(".")
    return PortRef(node=s_node, port=s_port), PortRef(node=t_node, port=t_port)


def test_every_builtin_kind_has_an_icon() -> None:
    from desktop.resources import ICONS
    from engine.nodes import builtin_registry

    missing = [
        k.name for k in builtin_registry().kinds() if not (ICONS / f"{k.icon}.svg").is_file()
    ]
    assert missing == []
