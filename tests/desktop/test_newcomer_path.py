"""A newcomer's whole path in the window, with no YAML touched: from a blank canvas, build
the summarise-and-approve workflow (input -> llm -> approval -> output) by palette drops and
wire drags, declare its input in the workflow settings, write the prompt in the inspector,
save, reopen, run it on the bundled model, approve with an edit, and export an HTML report
of the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from desktop import file_dialogs
from desktop.inspector.fields import MultilineEditor
from desktop.main_window import MainWindow
from desktop.workflow_settings.inputs_table import DEFAULT, DESCRIPTION
from engine.workflow.loader import load_workflow
from tests.desktop.canvas_helpers import at, drag, port_point
from tests.desktop.run_helpers import run_until_dialog, wait_finished
from tests.desktop.test_canvas_build import _drop_from_palette
from tests.desktop.test_workflow_settings import _choose_type, _edit_cell, _panel, _table

TICKET = "The battery died after two days and support never answered my emails."
EDITED = "Customer's battery died after two days; no reply from support. Call back today."


def _wire(window: MainWindow, source: str, out_port: str, target: str, in_port: str) -> None:
    view = window.view
    a = window.scene.node_items[source].scenePos()
    b = window.scene.node_items[target].scenePos()
    view.centerOn((a + b) / 2)
    drag(view, port_point(view, source, out_port, "out"), port_point(view, target, in_port, "in"))


@pytest.mark.slow
def test_from_a_blank_canvas_to_an_exported_report(
    qtbot: QtBot,
    qloop: Any,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert window.document.nodes == [] and window.document.path is None  # untitled, blank
    view = window.view
    view.resetTransform()
    ids = []
    for kind, x in (("input", 0.0), ("llm", 260.0), ("approval", 520.0), ("output", 780.0)):
        view.centerOn(QPointF(x, 100))
        _drop_from_palette(window, kind, at(view, QPointF(x, 100)))
        ids.append(window.document.nodes[-1].id)
    ticket, llm, review, out = ids
    assert [n.kind for n in window.document.nodes] == ["input", "llm", "approval", "output"]

    _wire(window, ticket, "value", llm, "in")
    _wire(window, llm, "text", review, "in")
    _wire(window, review, "approved", out, "value")
    assert sorted(f"{e.source} -> {e.target}" for e in window.document.edges) == sorted(
        [
            f"{ticket}.value -> {llm}.in",
            f"{llm}.text -> {review}.in",
            f"{review}.approved -> {out}.value",
        ]
    )

    # the input node declared the input it reads; give it a type, a default, a description
    assert [d.name for d in window.document.workflow.inputs] == [ticket]
    panel = _panel(window)
    table = _table(panel)
    _choose_type(qtbot, table, 0, "str")
    _edit_cell(qtbot, table, 0, DEFAULT, TICKET)
    _edit_cell(qtbot, table, 0, DESCRIPTION, "The ticket to summarise")
    [decl] = window.document.workflow.inputs
    assert (decl.type, decl.default, decl.description) == (
        "string",
        TICKET,
        "The ticket to summarise",
    )

    window.scene.select_nodes([llm])
    form = window.inspector.config_form
    assert window.inspector.node_id == llm and form is not None
    prompt = form.editor("prompt")
    assert isinstance(prompt, MultilineEditor)
    prompt.text.setPlainText("Summarise this support ticket in one sentence: {{ in }}")
    prompt.commit()
    assert window.document.node(llm).config["prompt"].startswith("Summarise")

    path = tmp_path / "summarise.interlock.yaml"
    monkeypatch.setattr(
        file_dialogs, "save_file_name", lambda *a, **k: (str(path), "Interlock workflow")
    )
    window.actions_.save.trigger()  # untitled: Save asks where (the dialog answers `path`)
    assert path.is_file() and window.document.path == path and not window.isWindowModified()
    assert load_workflow(path).workflow == window.document.workflow  # what was built, saved

    assert window.open_path(path, ask=False)  # reopen
    assert [n.id for n in window.document.nodes] == ids
    assert window.document.workflow.inputs[0].default == TICKET

    dialog = run_until_dialog(qtbot, window)  # the default input: no inputs dialog needed
    proposed = dialog.editor.value()
    assert isinstance(proposed, str) and proposed.strip()  # the bundled model's summary
    dialog.edit_box.setChecked(True)
    dialog.editor.setPlainText(EDITED)
    dialog.approve_button.click()
    result = wait_finished(qtbot, window, timeout=60_000)
    assert result.status == "succeeded"
    assert result.outputs == {out: EDITED}
    store = window.run_controller.session.store
    [approval] = store.list_approvals(status=None, run_id=result.run_id)
    assert approval.status == "approved" and approval.decision is not None
    assert approval.decision.edited_value == EDITED

    report = tmp_path / "report.html"
    commands = window.run_ui.commands
    with qtbot.waitSignal(commands.exported, timeout=30_000) as exported:
        commands.export_run(result.run_id, report)  # written in a worker thread
    assert exported.args[0] == report
    html = report.read_text(encoding="utf-8")
    assert result.run_id in html
    for node_id in ids:
        assert node_id in html
    assert EDITED.replace("'", "&#x27;") in html or EDITED.replace("'", "&#39;") in html
    assert "succeeded" in html
