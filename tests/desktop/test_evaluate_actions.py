"""The Evaluate dock's actions on the shown evaluation: re-running its failing rows (then
which rows were fixed), exporting it as an HTML report with its failing runs' reports,
calibrating an llm node's routing and applying the route to the open workflow as one undo
step; and the Runs panel keeping evaluation runs apart from runs made by hand."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from pytestqt.qtbot import QtBot

from desktop import file_dialogs
from desktop.evaluate.calibration_dialog import CalibrationDialog
from desktop.evaluate.controller import EvalController
from desktop.evaluate.evaluate_panel import EvaluatePanel
from desktop.main_window import MainWindow
from desktop.run.session import EngineSession
from engine.evaluation.calibrate import Calibration, calibrated_route
from engine.nodes.base import NodeRegistry
from engine.routing.calibration import RungOutcome, choose, frontier, sweep
from engine.store.evaluation_records import DatasetInfo
from engine.store.evaluations import EvalStore
from engine.workflow.loader import load_workflow
from tests.desktop.run_helpers import wait_finished
from tests.desktop.test_evaluate_panel import EVAL, ROWS, SHOUT
from tests.desktop.test_main_window import NO_LLM

DATA = Path(__file__).resolve().parents[1] / "data" / "calibration"
FIXED = SHOUT.replace(
    'template: "{{ (in | upper) * n }}"',
    "template: \"{{ 'nope' if in == 'no' else (in | upper) * n }}\"",
)
TOPIC_EVAL = """\
version: 1
name: Topic check
workflow: topic.interlock.yaml
dataset: messages.jsonl
scorers:
  - {id: correct, type: exact}
"""
LADDER = ["smollm2-135m-instruct", "gemma3-270m"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "shout.interlock.yaml").write_text(SHOUT, encoding="utf-8")
    (tmp_path / "shout.jsonl").write_text(ROWS, encoding="utf-8")
    (tmp_path / "shout.eval.yaml").write_text(EVAL.replace("CONCURRENCY", "2"), "utf-8")
    for name in ("topic.interlock.yaml", "messages.jsonl"):
        shutil.copy(DATA / name, tmp_path / name)
    (tmp_path / "topic.eval.yaml").write_text(TOPIC_EVAL, encoding="utf-8")
    return tmp_path


@pytest.fixture
def session(tmp_path: Path, registry: NodeRegistry) -> Iterator[EngineSession]:
    session = EngineSession(registry, str(tmp_path / "runs.db"))
    yield session
    session.close()


@pytest.fixture
def panel(qtbot: QtBot, qloop: Any, session: EngineSession, folder: Path) -> EvaluatePanel:
    workflow = load_workflow(folder / "shout.interlock.yaml").workflow
    view = EvaluatePanel(
        EvalController(session), lambda: (workflow, folder / "shout.interlock.yaml")
    )
    qtbot.addWidget(view)
    view.resize(1300, 600)
    view.show()
    view.set_ready()
    qtbot.waitUntil(lambda: session.store_ready, timeout=15_000)
    return view


def _store(panel: EvaluatePanel) -> EvalStore:
    return cast(EvalStore, cast(EngineSession, panel.controller.host).store)


def _evaluate(qtbot: QtBot, panel: EvaluatePanel, eval_file: Path) -> str:
    assert panel.setup.set_eval_file(eval_file)
    assert panel.run() is not None
    qtbot.waitUntil(
        lambda: not panel.controller.running and panel.shown is not None, timeout=30_000
    )
    assert panel.shown is not None
    return panel.shown.record.eval_id


def _rerun(qtbot: QtBot, panel: EvaluatePanel, parent: str) -> str:
    panel.shown_actions.rerun_button.click()
    qtbot.waitUntil(
        lambda: (
            not panel.controller.running
            and panel.shown is not None
            and panel.shown.record.parent_eval_id == parent
        ),
        timeout=30_000,
    )
    assert panel.shown is not None
    return panel.shown.record.eval_id


def _passed_column(panel: EvaluatePanel) -> list[str]:
    model = panel.model
    return [str(model.index(r, 2).data()) for r in range(model.rowCount())]


def test_rerunning_the_failing_rows_after_a_fix_shows_them_fixed(
    qtbot: QtBot, panel: EvaluatePanel, folder: Path
) -> None:
    first = _evaluate(qtbot, panel, folder / "shout.eval.yaml")
    assert panel.shown is not None and panel.shown.failing == 2  # row 2 in each variant
    button = panel.shown_actions.rerun_button
    assert button.isEnabled() and button.text() == "Re-run 2 failing"
    assert not panel.changes.isVisible()

    unchanged = _rerun(qtbot, panel, first)  # nothing fixed yet: the rows still fail
    assert _passed_column(panel) == ["no · still failing"] * 2
    assert panel.changes.isVisible()
    assert "0 fixed" in panel.changes.text() and "2 still failing" in panel.changes.text()

    panel.load(first)
    qtbot.waitUntil(lambda: panel.shown is not None and panel.shown.record.eval_id == first)
    (folder / "shout.interlock.yaml").write_text(FIXED, encoding="utf-8")
    fixed = _rerun(qtbot, panel, first)
    assert fixed != unchanged
    assert panel.model.rowCount() == 2  # only the rows that had failed ran again
    assert {(r.variant, r.row_index) for r in panel.model.rows} == {("first", 2), ("second", 2)}
    assert _passed_column(panel) == ["yes · fixed"] * 2
    assert "(failing rows again)" in panel.past.currentText()
    assert "2 fixed" in panel.changes.text() and "0 broke" in panel.changes.text()
    assert "0 still failing" in panel.changes.text()
    assert not panel.shown_actions.rerun_button.isEnabled()  # nothing fails any more

    record = _store(panel).get_evaluation(fixed)
    assert record is not None and record.parent_eval_id == first and record.rows == (2,)
    assert all(r.passed for r in _store(panel).row_results(fixed))

    panel.changes.linkActivated.emit(first)  # the earlier evaluation, one click away
    qtbot.waitUntil(lambda: panel.shown is not None and panel.shown.record.eval_id == first)
    assert not panel.changes.isVisible() and panel.model.rowCount() == 8


def test_export_writes_the_report_and_the_failing_runs_reports(
    qtbot: QtBot, panel: EvaluatePanel, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eval_id = _evaluate(qtbot, panel, folder / "shout.eval.yaml")
    failing = {r.run_id for r in _store(panel).row_results(eval_id) if not r.passed}
    assert len(failing) == 2 and None not in failing
    asked: list[str] = []

    def save_as(_parent: object, _title: str, start: str, _filter: str) -> tuple[str, str]:
        asked.append(start)
        return str(folder / "out" / "shout-report"), ""

    (folder / "out").mkdir()
    monkeypatch.setattr(file_dialogs, "save_file_name", save_as)
    actions = panel.shown_actions
    assert actions.export_button.isEnabled()
    actions.export_button.click()
    qtbot.waitUntil(lambda: actions.exported is not None, timeout=15_000)
    assert asked == [str(folder / f"Shout-check-{eval_id}.html")]  # beside the eval file

    page = folder / "out" / "shout-report.html"
    assert actions.exported is not None and actions.exported.path == page
    text = page.read_text("utf-8")
    assert "Evaluation: Shout check" in text and eval_id in text
    assert "Failing rows (2)" in text
    for run_id in failing:
        report = folder / "out" / "shout-report_runs" / f"{run_id}.html"
        assert report.is_file() and run_id in report.read_text("utf-8")
        assert f'href="shout-report_runs/{run_id}.html"' in text
    assert "shout-report.html" in panel.status.text() and "2 run reports" in panel.status.text()


# -- calibration ------------------------------------------------------------------------------


def rung(correct: bool, confidence: float | None) -> RungOutcome:
    return RungOutcome(correct, confidence)


def calibration() -> Calibration:
    """Six rows on two local rungs: the small one right when confident; the frontier, the
    choice and the route come from the engine's own functions."""
    rows = [
        [rung(True, 0.9), rung(True, 0.8)],
        [rung(True, 0.85), rung(True, 0.7)],
        [rung(True, 0.8), rung(True, 0.9)],
        [rung(False, 0.3), rung(True, 0.6)],
        [rung(False, 0.2), rung(True, 0.9)],
        [rung(True, 0.4), rung(False, 0.5)],
    ]
    scores = [sum(r[i].correct for r in rows) / len(rows) for i in range(2)]
    points = sweep(rows)
    chosen, met = choose(points, scores[-1], 0.98)
    dataset = DatasetInfo("messages", "cd" * 32, 12, 0.0)
    return Calibration(
        "label", LADDER, scores, [False, False], rows, points, frontier(points), chosen, met,
        0.98, dataset, "ev123",
    )  # fmt: skip


def _open_dialog(qtbot: QtBot, window: MainWindow, folder: Path) -> CalibrationDialog:
    ui = window.evaluate_ui
    ui.show_panel()
    panel = ui.panel
    qtbot.waitUntil(lambda: panel.ready, timeout=15_000)
    assert panel.setup.set_eval_file(folder / "topic.eval.yaml")
    assert panel.shown_actions.calibrate_button.isEnabled()
    panel.shown_actions.calibrate_button.click()
    dialog = ui.calibration_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.setup is not None, timeout=30_000)
    return dialog


def test_a_calibration_shows_rungs_frontier_and_route_and_applies_as_one_undo_step(
    qtbot: QtBot, qloop: Any, window: MainWindow, folder: Path
) -> None:
    workflow = folder / "topic.interlock.yaml"
    window.open_path(workflow)
    before = window.document.node("label").config
    dialog = _open_dialog(qtbot, window, folder)
    assert [dialog.node.itemData(i) for i in range(dialog.node.count())] == ["label"]
    assert dialog.target.value() == 0.98
    assert not dialog.apply_button.isEnabled()

    result = calibration()
    dialog.show_calibration(result)
    view = dialog.view
    assert view.rungs.rowCount() == 2
    assert [view.rungs.item(i, 1).text() for i in range(2)] == LADDER
    assert [view.rungs.item(i, 2).text() for i in range(2)] == ["0.667", "0.833"]
    assert view.frontier.rowCount() == len(result.frontier) >= 2
    chosen_rows = [
        i for i in range(view.frontier.rowCount()) if "●" in view.frontier.item(i, 3).text()
    ]
    assert chosen_rows == [result.frontier.index(result.chosen)]
    whom = [view.frontier.item(i, 4).text() for i in range(view.frontier.rowCount())]
    assert whom[0] == f"{LADDER[0]} answers every row"  # the cheapest: never escalate
    assert whom[-1] == f"{LADDER[0]} if confident ≥ 0.300, else {LADDER[1]}"
    assert view.chart.axis == "escalated"  # both rungs local: escalations are the cost
    assert view.chart.chosen == ("chosen", result.chosen.escalated_share, result.chosen.score)
    assert [p[1] for p in view.chart.rungs] == [0.0, 1.0]
    assert "calibration:" in view.route.toPlainText()
    assert f"model: {LADDER[0]}" in view.route.toPlainText()
    assert "reaches" in view.verdict.text()

    assert dialog.apply_button.isEnabled() and window.undo_stack.count() == 0
    dialog.apply_button.click()
    assert window.undo_stack.count() == 1 and not window.undo_stack.isClean()
    assert window.isWindowModified()  # the user saves it: routing learns nothing silently
    config = window.document.node("label").config
    assert config["route"] == calibrated_route({}, result)
    assert config["examples"] == before["examples"]  # the rest of the node is kept
    assert "save the workflow" in dialog.applied.text()
    assert load_workflow(workflow).workflow.nodes[1].config == before  # the file is untouched

    window.undo_stack.undo()
    assert window.document.node("label").config == before
    window.undo_stack.redo()
    assert window.document.node("label").config["route"] == calibrated_route({}, result)


def test_applying_to_another_open_workflow_offers_to_open_the_calibrated_one(
    qtbot: QtBot,
    qloop: Any,
    window: MainWindow,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = folder / "demo.interlock.yaml"
    other.write_text(NO_LLM, encoding="utf-8")
    window.open_path(other)
    dialog = _open_dialog(qtbot, window, folder)
    result = calibration()
    dialog.show_calibration(result)
    answers = [False, True]
    monkeypatch.setattr(dialog, "ask_open", lambda path: answers.pop(0))

    assert not dialog.apply()  # declined: nothing opened, nothing changed
    assert window.document.path == other and window.undo_stack.count() == 0
    assert "open it to apply" in dialog.applied.text()

    assert dialog.apply()
    assert window.document.path == folder / "topic.interlock.yaml"
    assert window.undo_stack.count() == 1
    assert window.document.node("label").config["route"] == calibrated_route({}, result)


def test_selecting_another_frontier_row_applies_that_cascade_recorded_as_picked(
    qtbot: QtBot, qloop: Any, window: MainWindow, folder: Path
) -> None:
    window.open_path(folder / "topic.interlock.yaml")
    dialog = _open_dialog(qtbot, window, folder)
    result = calibration()
    dialog.show_calibration(result)
    view = dialog.view
    chosen_row = result.frontier.index(result.chosen)
    assert view.selected_row() == chosen_row  # what Apply writes, before any pick
    cheapest = result.frontier[0]
    assert chosen_row != 0 and cheapest.score < result.chosen.score

    view.frontier.selectRow(0)
    assert dialog.calibration is not None and dialog.calibration.picked == cheapest
    assert "selected cascade instead" in view.verdict.text()
    assert "picked: true" in view.route.toPlainText()
    assert view.chart.picked == ("applied", cheapest.escalated_share, cheapest.score)
    assert "●" in view.frontier.item(chosen_row, 3).text()  # the target's choice stays marked
    answers = [view.rungs.item(i, 4).text() for i in range(2)]
    assert answers == [str(n) for n in cheapest.answered_by]
    dialog.apply_button.click()
    route = window.document.node("label").config["route"]
    assert route["escalate"]["calibration"]["picked"] is True
    assert route["escalate"]["calibration"]["expected_score"] == round(cheapest.score, 4)
    assert route["escalate"].get("min_confidence") is None  # the cheapest never escalates
    assert "selected cascade" in dialog.applied.text()

    view.frontier.selectRow(chosen_row)  # back to the target's choice
    assert dialog.calibration.picked is None and view.chart.picked is None
    dialog.apply_button.click()
    assert window.undo_stack.count() == 2
    assert window.document.node("label").config["route"] == calibrated_route({}, result)


@pytest.mark.slow
@pytest.mark.model
def test_calibrating_on_the_bundled_models_shows_both_rungs(
    qtbot: QtBot, qloop: Any, window: MainWindow, folder: Path
) -> None:
    window.open_path(folder / "topic.interlock.yaml")
    dialog = _open_dialog(qtbot, window, folder)
    assert dialog.ladder.placeholderText() == f"the node's own: {', '.join(LADDER)}"
    dialog.limit.setValue(3)
    seen: list[tuple[str, int]] = []
    window.evaluate_ui.controller.row_done.connect(
        lambda r, done, total: seen.append((r.variant, total))
    )
    dialog.run_button.click()
    assert dialog.calibrating and dialog.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.calibrating, timeout=600_000)
    assert dialog.calibration is not None, dialog.status.text()
    assert sorted({variant for variant, _ in seen}) == ["rung0", "rung1"]
    assert {total for _, total in seen} == {6} and dialog.progress.value() == 6
    view = dialog.view
    assert view.rungs.rowCount() == 2
    assert [view.rungs.item(i, 1).text() for i in range(2)] == LADDER
    assert len(dialog.calibration.rows) == 3 and view.frontier.rowCount() >= 1
    assert "calibration:" in view.route.toPlainText()
    panel = window.evaluate_ui.panel  # the rungs' evaluation shows in the dock too
    qtbot.waitUntil(lambda: panel.shown is not None, timeout=15_000)
    assert panel.shown is not None and set(panel.shown.summary.variants) == {"rung0", "rung1"}


# -- the Runs panel ----------------------------------------------------------------------------


def test_the_runs_panel_hides_evaluation_runs_unless_asked(
    qtbot: QtBot, qloop: Any, window: MainWindow, folder: Path
) -> None:
    demo = folder / "demo.interlock.yaml"
    demo.write_text(NO_LLM, encoding="utf-8")
    window.open_path(demo)
    window.run_controller.start({"who": "world"})
    by_hand = wait_finished(qtbot, window).run_id
    ui = window.evaluate_ui
    ui.show_panel()
    qtbot.waitUntil(lambda: ui.panel.ready, timeout=15_000)
    eval_id = _evaluate(qtbot, ui.panel, folder / "shout.eval.yaml")

    runs = window.run_ui.runs
    window.run_ui.runs_dock.raise_()
    runs.refresh()
    qtbot.waitUntil(lambda: len(runs.eval_of) == 8, timeout=15_000)
    qtbot.waitUntil(lambda: len(runs.runs) == 9, timeout=15_000)
    assert runs.hide_evals.isChecked()
    assert [runs.table.item(i, 6).text() for i in range(runs.table.rowCount())] == [by_hand]

    runs.hide_evals.setChecked(False)
    assert runs.table.rowCount() == 9
    tags = {runs.table.item(i, 6).text(): runs.table.item(i, 7) for i in range(9)}
    assert tags[by_hand].text() == ""
    made = [item for run_id, item in tags.items() if run_id != by_hand]
    assert {item.text() for item in made} == {"Shout check"}
    assert all(eval_id in item.toolTip() for item in made)
