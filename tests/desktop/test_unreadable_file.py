"""A workflow file that cannot be parsed opens as a read-only view of the problem (where it
is, the raw text) and is never saved over; fixed in an editor, Reload opens it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop import file_dialogs
from desktop.main_window import MainWindow

BROKEN = """\
version: 1
metadata:
  name: Broken
nodes:
  - {id: a, kind: template, config: {template: hi}
  - {id: out, kind: output}
"""
FIXED = BROKEN.replace("hi}\n", "hi}}\n")


def test_a_file_that_fails_to_parse_is_shown_and_never_saved_over(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.interlock.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    other = tmp_path / "elsewhere.interlock.yaml"
    monkeypatch.setattr(file_dialogs, "save_file_name", lambda *a, **k: (str(other), ""))
    assert window.open_path(path)

    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    window.actions_.save.trigger()
    window.actions_.save_as.trigger()
    assert not window.save() and not window.save_as()
    assert path.read_text(encoding="utf-8") == BROKEN
    assert not other.exists()
    assert not window.actions_.save.isEnabled() and not window.actions_.save_as.isEnabled()

    view = window.unreadable_view
    assert window.central.currentWidget() is view and view.isVisible()
    assert not window.view.isVisible() and not window.palette_widget.isEnabled()
    problem = view.problem.text()
    assert problem.startswith("broken.interlock.yaml:6:3: YAML syntax error"), problem
    assert view.text.toPlainText() == BROKEN and view.text.isReadOnly()
    assert view.marked_line() == 6
    assert window.problems.locations() == ["broken.interlock.yaml:6:3"]
    assert "YAML syntax error" in window.problems.messages()[0]
    assert window.windowTitle().startswith("broken.interlock.yaml — cannot be opened")
    window.actions_.run.trigger()
    assert not window.run_controller.running
    assert window.recent_files() == [str(path.resolve())]

    path.write_text(FIXED, encoding="utf-8")  # fixed in an editor
    qtbot.mouseClick(view.reload_button, Qt.MouseButton.LeftButton)
    assert window.central.currentWidget() is window.view and window.unreadable is None
    assert set(window.scene.node_items) == {"a", "out"}
    assert window.document.path == path and window.actions_.save.isEnabled()
    assert window.palette_widget.isEnabled()
    window.scene.select_nodes(["out"])
    window.actions_.delete.trigger()
    assert window.save()
    assert "id: out" not in path.read_text(encoding="utf-8")


def test_undecodable_and_non_mapping_files_are_shown_not_opened(
    window: MainWindow, tmp_path: Path
) -> None:
    binary = tmp_path / "binary.interlock.yaml"
    binary.write_bytes(b"version: 1\nmetadata: {name: \xff\xfe}\n")
    assert window.open_path(binary)
    assert window.unreadable is not None and "not UTF-8" in window.unreadable_view.problem.text()
    assert "version: 1" in window.unreadable_view.text.toPlainText()
    assert not window.save_as() and binary.read_bytes().endswith(b"\xff\xfe}\n")

    listed = tmp_path / "list.interlock.yaml"
    listed.write_text("- just\n- a list\n", encoding="utf-8")
    assert window.open_path(listed) and window.unreadable is not None
    assert "must be a YAML mapping" in window.unreadable_view.problem.text()

    window.new_file()
    assert window.unreadable is None and window.central.currentWidget() is window.view


def test_a_file_with_invalid_parts_still_opens_on_the_canvas(
    window: MainWindow, tmp_path: Path
) -> None:
    """Salvage stays as it was: a YAML mapping with bad parts opens with problems listed."""
    path = tmp_path / "odd.interlock.yaml"
    path.write_text("version: 1\nmetadata: {name: Odd}\nnodes: 5\n", encoding="utf-8")
    assert window.open_path(path)
    assert window.unreadable is None and window.central.currentWidget() is window.view
    assert window.actions_.save.isEnabled()
    assert any("expected a list" in m for m in window.problems.messages())
