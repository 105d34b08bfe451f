"""The palette, inspector and problems docks, each through the main window."""

from __future__ import annotations

from pathlib import Path

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


def test_problems_show_as_badges_on_nodes(qtbot: QtBot, window: MainWindow) -> None:
    workflow = chain_workflow()
    workflow.edges.pop()
    _load(window, workflow)
    out = window.scene.node_items["out"]
    assert out.problems == ["node 'out': input port 'value' is not connected"]
    assert "1 problem(s)" in out.toolTip() and "is not connected" in out.toolTip()
    assert window.scene.node_items["a"].problems == []
    window.scene.connect_ports(*_refs("b.text", "out.value"))
    qtbot.waitUntil(lambda: out.problems == [])
    assert "problem" not in out.toolTip()


BROKEN = """\
version: 1
metadata: {name: Broken}
nodes:
  - id: a
    kind: template
    config: {template: hi, inputs: []}
  - id: mystery
    kind: teleport
    position: {x: 300, y: 0}
    config: {destination: mars, speed: 3}
  - id: bad
    kind: template
    position: {x: 300, y: "far"}
    colour: red
    config: {template: 7}
  - id: out
    kind: output
    position: {x: 600, y: 0}
edges:
  - {source: a.text, target: out.value}
  - {source: ghost.text, target: mystery.in}
annotations:
  - {kind: note, id: note, text: Remember, x: 10, y: 200}
  - {kind: blob, id: b2}
"""


def test_a_file_with_errors_opens_what_it_can(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "broken.interlock.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    assert window.open_path(path)
    assert set(window.scene.node_items) == {"a", "mystery", "bad", "out"}
    assert [str(e.target) for e in window.document.edges] == ["out.value"]
    assert [a.id for a in window.document.annotations] == ["note"]
    assert "note" in window.scene.annotation_items
    mystery = window.scene.node_items["mystery"]
    assert not mystery.config_ok and any("unknown node kind" in p for p in mystery.problems)
    assert window.scene.node_items["bad"].problems  # placeholder, marked
    messages = window.problems.messages()
    where = dict(zip(messages, window.problems.locations(), strict=True))
    colour = next(m for m in messages if "colour" in m)
    assert where[colour] == "broken.interlock.yaml:14:5"
    ghost = next(m for m in messages if "ghost" in m)
    assert where[ghost] == "broken.interlock.yaml:21:5"
    unknown = next(m for m in messages if "teleport" in m)
    assert where[unknown] == "broken.interlock.yaml:8:5"
    assert any("annotations.1.kind" in m for m in messages)

    # Saving keeps the unknown kind's node and its raw config.
    window.save()
    saved = path.read_text(encoding="utf-8")
    assert "kind: teleport" in saved and "destination: mars" in saved
    assert "text: Remember" in saved


def test_a_syntax_error_opens_an_empty_document_with_the_problem(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "syntax.interlock.yaml"
    path.write_text("version: 1\nnodes: [a, b\nedges: {", encoding="utf-8")
    assert window.open_path(path)
    assert window.document.nodes == [] and window.scene.node_items == {}
    assert any("YAML syntax error" in m for m in window.problems.messages())
    assert window.problems.locations()[0].startswith("syntax.interlock.yaml:3:")


def test_shortcuts_dialog_lists_the_real_actions(window: MainWindow) -> None:
    from desktop.shortcuts_dialog import ShortcutsDialog, shortcut_rows

    rows = {name: keys for _, name, keys in shortcut_rows(window)}
    assert rows["Quick Add Node"] == "Tab, Ctrl+Shift+A"
    assert rows["Undo"] == "Ctrl+Z" and rows["Rename"] == "F2"
    assert "+" in rows["Zoom In"].split(", ") and "Ctrl++" in rows["Zoom In"]
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.canvas_actions.shortcuts in help_menu.actions()  # type: ignore[union-attr]
    window.canvas_actions.shortcuts.setShortcut("Ctrl+Alt+K")  # read live, never a copy
    dialog = ShortcutsDialog(window)
    assert ("Keyboard Shortcuts", "Ctrl+Alt+K") in dialog.rows()
    assert ("Next tab", "Ctrl+Tab, Ctrl+PgDown") in dialog.rows()
    assert ("Close", "Ctrl+W, Ctrl+F4") in dialog.rows()
    dialog.filter.setText("layout")
    assert dialog.rows() == [("Auto Layout", "Ctrl+L")]


def test_dark_theme_repaints_the_canvas(window: MainWindow) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop.canvas.style import colors
    from desktop.theme import dark_palette

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette()
    try:
        app.setPalette(dark_palette())
        assert colors().dark
        image = window.view.grab().toImage()
        corner = image.pixelColor(5, 5)
        assert corner.lightness() < 100
    finally:
        app.setPalette(light)
    assert not colors().dark
