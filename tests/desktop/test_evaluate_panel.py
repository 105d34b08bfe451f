"""The Evaluate dock: importing a dataset (bad rows refused until skipped), building an eval
file from the form, running an evaluation with live rows, the failing-row filter, the
summary and chart, stopping and resuming, and adding a past run to a dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QDialog, QDockWidget
from pytestqt.qtbot import QtBot

from desktop.evaluate.controller import EvalController
from desktop.evaluate.eval_form import EvalFormDialog
from desktop.evaluate.evaluate_panel import EvaluatePanel
from desktop.evaluate.form_data import spec_data
from desktop.evaluate.results_model import FIXED_BEFORE
from desktop.main_window import MainWindow
from desktop.run.replay_window import ReplayWindow
from desktop.run.session import EngineSession
from engine.errors import WorkflowLoadError
from engine.evaluation.spec import load_eval
from engine.nodes.base import NodeRegistry
from engine.store.evaluations import EvalStore
from engine.workflow.loader import load_workflow
from tests.desktop.run_helpers import wait_finished
from tests.desktop.test_main_window import NO_LLM

SHOUT = """\
version: 1
metadata: {name: Shout}
inputs:
  - {name: text, type: string, required: true}
  - {name: times, type: integer, default: 1}
nodes:
  - {id: text, kind: input}
  - {id: times, kind: input}
  - id: shout
    kind: template
    config:
      inputs: [in, n]
      template: "{{ (in | upper) * n }}"
  - {id: out, kind: output}
edges:
  - {source: text.value, target: shout.in}
  - {source: times.value, target: shout.n}
  - {source: shout.text, target: out.value}
"""
ROWS = """\
{"text": "hi", "expected": "HI"}
{"text": "ok", "times": 2, "expected": "OKOK"}
{"text": "no", "expected": "nope"}
{"text": "yes", "expected": "YES"}
"""
BAD_ROWS = """\
{"text": "hi", "expected": "HI"}
{"text": "ok", "times": 2, "expected": "OKOK"}
this line is not JSON
{"times": 3, "expected": "XXX"}
{"text": "yes", "expected": "YES"}
"""
EVAL = """\
version: 1
name: Shout check
workflow: shout.interlock.yaml
dataset: shout.jsonl
concurrency: CONCURRENCY
scorers:
  - {id: same, type: exact}
variants:
  - {name: first}
  - {name: second}
"""
LLM = """\
version: 1
metadata: {name: Labeller}
inputs:
  - {name: text, type: string, required: true}
nodes:
  - {id: text, kind: input}
  - id: label
    kind: llm
    config: {prompt: 'Label: {{ in }}', max_tokens: 8}
  - {id: answer, kind: output}
edges:
  - {source: text.value, target: label.in}
  - {source: label.text, target: answer.value}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "shout.interlock.yaml").write_text(SHOUT, encoding="utf-8")
    (tmp_path / "shout.jsonl").write_text(ROWS, encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text(BAD_ROWS, encoding="utf-8")
    (tmp_path / "labeller.interlock.yaml").write_text(LLM, encoding="utf-8")
    for concurrency in (1, 2):
        text = EVAL.replace("CONCURRENCY", str(concurrency))
        (tmp_path / f"shout{concurrency}.eval.yaml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def session(tmp_path: Path, registry: NodeRegistry) -> Iterator[EngineSession]:
    session = EngineSession(registry, str(tmp_path / "runs.db"))
    yield session
    session.close()


@pytest.fixture
def panel(qtbot: QtBot, qloop: Any, session: EngineSession, folder: Path) -> EvaluatePanel:
    workflow = load_workflow(folder / "shout.interlock.yaml").workflow
    controller = EvalController(session)
    view = EvaluatePanel(controller, lambda: (workflow, folder / "shout.interlock.yaml"))
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    view.set_ready()
    qtbot.waitUntil(lambda: session.store_ready, timeout=15_000)
    return view


def _wait_done(qtbot: QtBot, panel: EvaluatePanel) -> None:
    qtbot.waitUntil(
        lambda: not panel.controller.running and panel.shown is not None, timeout=30_000
    )


def _store(panel: EvaluatePanel) -> EvalStore:
    return cast(EvalStore, cast(EngineSession, panel.controller.host).store)


def _column(panel: EvaluatePanel, header: str) -> int:
    return panel.model.headers().index(header)


def _shown(panel: EvaluatePanel, header: str) -> list[str]:
    column = _column(panel, header)
    proxy = panel.table.model()
    return [str(proxy.index(r, column).data()) for r in range(proxy.rowCount())]


def test_importing_a_dataset_refuses_bad_rows_until_skipped(
    qtbot: QtBot, panel: EvaluatePanel, folder: Path
) -> None:
    dialog = panel.setup.import_dataset()
    with qtbot.waitSignal(dialog.read_done, timeout=10_000):
        dialog.file.setText(str(folder / "bad.jsonl"))
        dialog.read(dialog.file.text())
    assert len(dialog.examples) == 3 and dialog.name.text() == "bad"
    lines = [dialog.bad.item(r, 0).text() for r in range(dialog.bad.rowCount())]
    reasons = [dialog.bad.item(r, 1).text() for r in range(dialog.bad.rowCount())]
    assert lines == ["3", "4"]
    assert reasons[0].startswith("not JSON") and "missing required input 'text'" in reasons[1]
    assert not dialog.bad.isHidden() and "2 bad" in dialog.status.text()
    assert not dialog.import_button.isEnabled()
    dialog.accept()  # refused: nothing is stored while bad rows are not skipped
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.isVisible()
    assert _store(panel).find_dataset("bad") is None

    dialog.name.setText("shouts")
    dialog.skip_bad.setChecked(True)
    assert dialog.import_button.isEnabled()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: panel.setup.dataset.count() == 1, timeout=10_000)
    info = _store(panel).find_dataset("shouts")
    assert info is not None and info.row_count == 3
    examples = _store(panel).dataset_examples(info.hash)
    assert [e.index for e in examples] == [0, 1, 2]
    assert [e.inputs["text"] for e in examples] == ["hi", "ok", "yes"]
    assert panel.setup.dataset.currentText() == "shouts (3 rows)"
    assert "skipped 2 bad rows" in panel.status.text()


def test_the_form_saves_an_eval_file_the_engine_loads(
    qtbot: QtBot, panel: EvaluatePanel, folder: Path
) -> None:
    labeller = load_workflow(folder / "labeller.interlock.yaml").workflow
    dialog = EvalFormDialog((labeller, folder / "labeller.interlock.yaml"), ["shouts"], "shouts")
    qtbot.addWidget(dialog)
    assert dialog.workflow.text() == str(folder / "labeller.interlock.yaml")
    assert "outputs answer" in dialog.workflow_info.text()
    assert dialog.name.text() == "Labeller check"
    scorers, variants = dialog.scorers, dialog.variants
    assert scorers.table.rowCount() == 1 and scorers.text(0, 0) == "correct"
    scorers.table.cellWidget(0, 4).setText("0.9")  # type: ignore[union-attr]
    row = scorers.add_row()
    scorers.table.cellWidget(row, 1).setCurrentText("regex")  # type: ignore[union-attr]
    setting = scorers.table.cellWidget(row, 5)
    assert setting.placeholderText() == "pattern the output must match"  # type: ignore[union-attr]
    setting.setText("^[a-z]+$")  # type: ignore[union-attr]
    variants.add_row()
    variants.table.cellWidget(0, 0).setText("as_is")  # type: ignore[union-attr]
    row = variants.add_row()
    variants.table.cellWidget(row, 0).setText("local")  # type: ignore[union-attr]
    assert variants.table.cellWidget(row, 1).itemText(0) == "label"  # type: ignore[union-attr]
    variants.table.cellWidget(row, 1).setCurrentText("label")  # type: ignore[union-attr]
    variants.table.cellWidget(row, 3).setText("{prefer: local}")  # type: ignore[union-attr]
    variants.table.cellWidget(row, 5).setText("0.7")  # type: ignore[union-attr]
    dialog.min_pass.setValue(0.8)

    target = folder / "evals" / "labeller.eval.yaml"
    target.parent.mkdir()
    scorers.table.cellWidget(0, 4).setText("high")  # type: ignore[union-attr]
    assert not dialog.save_to(target) and not target.exists()
    assert "threshold" in dialog.problem.text()
    scorers.table.cellWidget(0, 4).setText("0.9")  # type: ignore[union-attr]
    assert dialog.save_to(target), dialog.problem.text()

    spec = load_eval(target).spec
    assert spec.workflow == "../labeller.interlock.yaml" and spec.dataset == "shouts"
    assert spec.min_pass_rate == 0.8
    assert [(s.id, s.type, s.threshold, s.pattern) for s in spec.scorers] == [
        ("correct", "exact", 0.9, None),
        ("score", "regex", None, "^[a-z]+$"),
    ]
    assert [v.name for v in spec.variants] == ["as_is", "local"]
    override = spec.variants[1].nodes["label"]
    assert override.route == {"prefer": "local"} and override.temperature == 0.7

    again = EvalFormDialog(None, [], "")
    qtbot.addWidget(again)
    loaded = load_eval(target)
    again.edit(loaded)  # an eval file reads back into a form that writes the same file
    assert spec_data(again.form(), target.parent) == spec_data(dialog.form(), target.parent)
    assert again.scorers.rows() == dialog.scorers.rows()


def test_the_panel_takes_the_eval_file_the_form_saved(
    qtbot: QtBot, panel: EvaluatePanel, folder: Path
) -> None:
    assert not panel.run_button.isEnabled()
    dialog = panel.setup.new_eval()
    assert dialog.workflow.text() == str(folder / "shout.interlock.yaml")
    dialog.dataset.setCurrentText(str(folder / "shout.jsonl"))
    assert dialog.save_to(folder / "made.eval.yaml"), dialog.problem.text()
    assert panel.setup.loaded is not None and panel.setup.loaded.path == folder / "made.eval.yaml"
    assert (
        "Shout check" in panel.setup.eval_label.text()
        and "1 scorer," in panel.setup.eval_label.text()
    )
    assert panel.run_button.isEnabled()


def test_running_an_evaluation_fills_rows_summary_and_chart(
    qtbot: QtBot, panel: EvaluatePanel, folder: Path
) -> None:
    assert panel.setup.set_eval_file(folder / "shout2.eval.yaml")
    seen: list[int] = []
    panel.controller.row_done.connect(lambda _r, done, _t: seen.append(done))
    assert panel.run() is not None
    assert panel.stop_button.isEnabled() and not panel.run_button.isEnabled()
    qtbot.waitUntil(
        lambda: not panel.controller.running and panel.shown is not None, timeout=30_000
    )
    assert seen == list(range(1, 9))  # rows arrived one by one while it ran

    assert panel.model.rowCount() == 8 and panel.table.model().rowCount() == 8
    assert panel.model.headers() == [*FIXED_BEFORE, "same", "Cost", "Tokens", "Latency", "Run"]
    failing = {(r.variant, r.row_index) for r in panel.model.rows if not r.passed}
    assert failing == {("first", 2), ("second", 2)}
    assert sorted(_shown(panel, "Passed")) == ["no"] * 2 + ["yes"] * 6
    assert (panel.progress.value(), panel.progress.maximum()) == (8, 8)

    panel.table.sortByColumn(_column(panel, "Passed"), Qt.SortOrder.AscendingOrder)
    assert _shown(panel, "Passed")[:2] == ["no", "no"]
    panel.only_failing.setChecked(True)
    assert panel.table.model().rowCount() == 2
    assert _shown(panel, "Row") == ["2", "2"] and _shown(panel, "same") == ["0.00", "0.00"]
    panel.only_failing.setChecked(False)
    assert panel.table.model().rowCount() == 8

    table = panel.summary.table
    assert table.rowCount() == 2
    assert [table.item(r, 0).text() for r in range(2)] == ["first", "second"]
    assert table.item(0, 2).text() == "75% (3/4)"
    assert table.item(0, 3).text().startswith("0.75 [")
    assert "8/8 rows" in panel.summary.heading.text()
    assert "succeeded" in panel.summary.heading.text()
    assert [p[0] for p in panel.chart.points] == ["first", "second"]
    assert all(p[2] == pytest.approx(0.75) for p in panel.chart.points)

    eval_id = panel.shown.record.eval_id  # type: ignore[union-attr]
    store = _store(panel)
    record = store.get_evaluation(eval_id)
    assert record is not None and record.status == "succeeded"
    results = store.row_results(eval_id)
    assert len(results) == 8 and sum(not r.passed for r in results) == 2
    assert all(store.get_run(r.run_id) is not None for r in results if r.run_id)
    assert panel.past.currentData() == eval_id

    proxy = panel.table.model()
    index = proxy.index(0, 0)
    where = panel.table.visualRect(index).center()
    with qtbot.waitSignal(panel.open_run_requested) as opened:
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert opened.args == [proxy.index(0, _column(panel, "Run")).data()]


def test_a_past_evaluation_reopens_and_a_stopped_one_resumes(
    qtbot: QtBot, panel: EvaluatePanel, folder: Path, session: EngineSession
) -> None:
    assert panel.setup.set_eval_file(folder / "shout1.eval.yaml")

    def stop(*_: object) -> None:
        panel.stop_button.click()

    panel.controller.row_done.connect(stop)
    panel.run()
    qtbot.waitUntil(
        lambda: not panel.controller.running and panel.shown is not None, timeout=30_000
    )
    shown = panel.shown
    assert shown is not None and shown.record.status == "interrupted"
    assert 1 <= len(shown.results) < 8
    assert panel.resume_button.isEnabled()
    panel.controller.row_done.disconnect(stop)

    panel.model.reset([])  # forget what is shown; reopen it from the store
    panel.past.activated.emit(panel.past.findData(shown.record.eval_id))
    qtbot.waitUntil(lambda: panel.model.rowCount() == len(shown.results), timeout=10_000)

    counts: list[int] = []
    panel.controller.row_done.connect(lambda *_: counts.append(panel.model.rowCount()))
    panel.resume_button.click()
    qtbot.waitUntil(
        lambda: (
            not panel.controller.running
            and panel.shown is not None
            and panel.shown.record.status == "succeeded"
        ),
        timeout=30_000,
    )
    assert counts[0] == len(shown.results) + 1  # resumed rows join those already stored
    assert panel.model.rowCount() == 8 and panel.shown.record.eval_id == shown.record.eval_id
    assert len(_store(panel).row_results(shown.record.eval_id)) == 8
    assert not panel.resume_button.isEnabled()

    # a panel opened later shows the newest evaluation and offers its eval file again
    again = EvaluatePanel(EvalController(session), panel.setup.open_workflow)
    qtbot.addWidget(again)
    again.show()
    again.set_ready()
    qtbot.waitUntil(lambda: again.shown is not None, timeout=10_000)
    assert again.shown is not None and again.shown.record.eval_id == shown.record.eval_id
    assert again.model.rowCount() == 8 and again.summary.table.rowCount() == 2
    assert again.setup.loaded is not None and again.run_button.isEnabled()


def test_an_eval_file_that_does_not_load_is_explained(panel: EvaluatePanel, folder: Path) -> None:
    broken = folder / "broken.eval.yaml"
    broken.write_text("version: 1\nname: x\nworkflow: shout.interlock.yaml\n", encoding="utf-8")
    assert not panel.setup.set_eval_file(broken)
    assert "Cannot use this eval file" in panel.status.text()
    assert "dataset" in panel.status.text() and not panel.run_button.isEnabled()


def test_an_evaluation_that_cannot_start_says_why(
    qtbot: QtBot, panel: EvaluatePanel, folder: Path
) -> None:
    text = EVAL.replace("CONCURRENCY", "1").replace("dataset: shout.jsonl", "dataset: nope")
    (folder / "nope.eval.yaml").write_text(text, encoding="utf-8")
    assert panel.setup.set_eval_file(folder / "nope.eval.yaml")
    with qtbot.waitSignal(panel.controller.finished, timeout=15_000) as done:
        panel.run()
    assert isinstance(done.args[0], WorkflowLoadError)
    assert "Evaluation not started" in panel.status.text()
    assert "no dataset file or stored dataset" in panel.status.text()
    assert panel.model.rowCount() == 0 and panel.run_button.isEnabled()
    assert _store(panel).list_evaluations() == []


def test_evaluate_command_and_add_a_run_to_a_dataset(
    qtbot: QtBot, qloop: Any, window: MainWindow, tmp_path: Path
) -> None:
    ui = window.evaluate_ui
    assert ui.evaluate in window.main_toolbar.actions()  # type: ignore[union-attr]
    assert ui.evaluate in window.workflow_menu.actions()  # type: ignore[union-attr]
    assert ui.dock.toggleViewAction() in window.panels_menu.actions()  # type: ignore[union-attr]
    ui.evaluate.trigger()
    assert ui.dock.isVisible() and window.findChild(QDockWidget, "evaluate_dock") is ui.dock

    path = tmp_path / "demo.interlock.yaml"
    path.write_text(NO_LLM, encoding="utf-8")
    window.open_path(path)
    window.run_controller.start({"who": "world"})
    run = wait_finished(qtbot, window)
    runs = window.run_ui.runs
    runs.refresh()
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=10_000)
    runs.select_runs([run.run_id])
    menu = runs.context_menu()
    assert menu is not None
    add = next(a for a in menu.actions() if a.text() == "Add to Dataset…")
    add.trigger()
    qtbot.waitUntil(lambda: ui.add_dialog is not None and ui.add_dialog.isVisible(), timeout=10_000)
    dialog = ui.add_dialog
    assert dialog is not None
    assert json.loads(dialog.inputs.toPlainText()) == {"who": "world"}
    assert json.loads(dialog.expected.toPlainText()) == run.outputs
    dialog.name.setCurrentText("greetings")
    dialog.expected.setPlainText("{not json")
    ok = dialog.buttons.buttons()[0]
    assert not ok.isEnabled() and "not JSON" in dialog.problem.text()
    assert run.outputs == {"result": "Hello world / HELLO WORLD!"}
    dialog.expected.setPlainText('{"result": "Hello, world!"}')  # what it should have said
    dialog.accept()
    store = cast(EvalStore, window.run_controller.session.store)
    qtbot.waitUntil(lambda: store.find_dataset("greetings") is not None, timeout=10_000)
    info = store.find_dataset("greetings")
    assert info is not None and info.source == f"run:{run.run_id}"
    [example] = store.dataset_examples(info.hash)
    assert example.inputs == {"who": "world"}
    assert example.expected == {"result": "Hello, world!"}
    panel = ui.panel
    qtbot.waitUntil(lambda: panel.setup.dataset.findData("greetings") >= 0, timeout=10_000)

    # the newcomer's path: a form over the open workflow and that dataset, run, open a row
    form = panel.setup.new_eval()
    assert form.workflow.text() == str(path) and form.dataset.currentText() == "greetings"
    assert form.save_to(tmp_path / "greetings.eval.yaml"), form.problem.text()
    form.close()
    window.undo_stack.push(QUndoCommand("an edit not saved yet"))
    panel.run()
    qtbot.waitUntil(lambda: "unsaved changes" in panel.status.text(), timeout=10_000)
    qtbot.waitUntil(lambda: not ui.controller.running and panel.shown is not None, timeout=30_000)
    assert [r.passed for r in panel.model.rows] == [False]  # the run's output is not expected
    row_run = panel.model.rows[0].run_id
    with qtbot.waitSignal(window.run_ui.commands.replay_opened):
        panel._on_row_activated(panel.table.model().index(0, 0, QModelIndex()))
    replays = window.run_ui.commands.replays
    assert replays and isinstance(replays[-1], ReplayWindow) and replays[-1].run_id == row_run
    qtbot.addWidget(replays[-1])
    replays[-1].close()


def test_the_evaluate_dock_adds_nothing_to_start_up(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from PySide6.QtCore import QSettings\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from desktop.main_window import MainWindow\n"
        f"settings = QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat)\n"
        f"window = MainWindow(settings=settings, db_path={str(tmp_path / 'r.db')!r})\n"
        "assert window.findChild(type(window.evaluate_ui.dock), 'evaluate_dock') is not None\n"
        "print(sorted(m for m in sys.modules if m.startswith("
        "('desktop.evaluate.', 'engine.evaluation.'))))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.strip().splitlines()[-1]
    assert "desktop.evaluate.window_ui" in loaded
    for heavy in ("evaluate_panel", "controller", "evaluation.spec", "evaluation.runner"):
        assert heavy not in loaded


def test_closing_the_window_stops_a_running_evaluation_first(
    qtbot: QtBot, qloop: Any, window: MainWindow, folder: Path, tmp_path: Path
) -> None:
    ui = window.evaluate_ui
    ui.show_panel()
    assert ui.panel.setup.set_eval_file(folder / "shout1.eval.yaml")
    assert ui.panel.run() is not None and ui.controller.running
    assert not window.close()  # refused while the evaluation winds down
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert not ui.controller.running
    from engine.store import SqliteRunStore

    with SqliteRunStore(tmp_path / "runs.db") as store:
        assert all(r.status != "running" for r in store.list_evaluations())
