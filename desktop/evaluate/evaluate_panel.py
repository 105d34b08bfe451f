"""The Evaluate dock: choose a dataset and an eval file (or build one), run it with live
per-row results, stop or resume it, and read the summary per variant and the cost-vs-score
chart; past evaluations reopen from the store. The shown evaluation's failing rows run
again (then which ones were fixed or broke shows), it exports as a report, and routing
calibrates on its eval. A view over `EvalController`."""

from __future__ import annotations

import asyncio
import html
import time
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.evaluate.calibration_setup import source_for
from desktop.evaluate.controller import EvalController, LoadedEvaluation
from desktop.evaluate.results_model import (
    RUN_ID_ROLE,
    EvalRowsModel,
    FailingFilterProxy,
    Key,
    change_marks,
)
from desktop.evaluate.score_chart import CostScoreChart
from desktop.evaluate.setup_bar import EvalSetupBar, OpenWorkflow, plural
from desktop.evaluate.shown_actions import ShownEvalActions, changes_html
from desktop.evaluate.summary_view import EvalSummaryView
from desktop.run.ops import EngineOp, OpChanges, op_hub
from desktop.run.qt import named
from engine.errors import WorkflowLoadError
from engine.evaluation.summary import summarize
from engine.store.evaluation_records import EvaluationRecord, RowResult

SUMMARY_MS = 250
RESUMABLE = frozenset({"interrupted", "failed", "running"})
ERROR = "color:#e0413a"


def record_label(record: EvaluationRecord) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.started_at))
    rerun = " (failing rows again)" if record.parent_eval_id else ""
    return f"{record.name}{rerun} · {record.status} · {when} · {record.eval_id}"


class EvaluatePanel(QWidget):
    open_run_requested = Signal(str)
    calibrate_requested = Signal(object)
    """A `CalibrationSource`: the eval file chosen, or the open workflow and dataset."""

    def __init__(
        self,
        controller: EvalController,
        open_workflow: OpenWorkflow,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("evaluate_panel")
        self.controller = controller
        self.open_workflow = open_workflow
        self.ready = False
        """The store is open: lists can be read without blocking anything."""
        self._stale = True
        self._resuming = False
        self.history: list[EvaluationRecord] = []
        self.shown: LoadedEvaluation | None = None
        self.live: EvaluationRecord | None = None
        self.total = 0
        self._build()
        self._summary_timer = QTimer(self, singleShot=True, interval=SUMMARY_MS)
        self._summary_timer.timeout.connect(self._on_live_summary)
        controller.running_changed.connect(self._on_running)
        controller.started.connect(self._on_started)
        controller.record_known.connect(self._on_record_known)
        controller.row_done.connect(self._on_row)
        controller.finished.connect(self._on_finished)
        op_hub().changed.connect(self._on_changes)
        self._on_running(False)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.setup = EvalSetupBar(self.controller, self.open_workflow)
        self.setup.changed.connect(self._enable)
        self.setup.message.connect(self._say)
        layout.addWidget(self.setup)

        run = QHBoxLayout()
        style = self.style()
        SP = style.StandardPixmap
        self.run_button = named(QPushButton("Run"), "run_eval")
        self.run_button.setIcon(style.standardIcon(SP.SP_MediaPlay))
        self.run_button.clicked.connect(lambda: self.run())
        self.stop_button = named(QPushButton("Stop"), "stop_eval")
        self.stop_button.setIcon(style.standardIcon(SP.SP_MediaStop))
        self.stop_button.clicked.connect(self.controller.stop)
        self.limit = named(QSpinBox(), "eval_limit")
        self.limit.setRange(0, 100_000)
        self.limit.setSpecialValueText("all rows")
        self.limit.setPrefix("first ")
        self.limit.setToolTip("Run only the first N rows of the dataset (0: all)")
        self.progress = named(QProgressBar(), "eval_progress")
        self.progress.setFormat("%v / %m rows")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)  # until there are rows to count
        self.status = named(QLabel(), "eval_status")
        self.status.setWordWrap(True)
        self.status.setOpenExternalLinks(True)  # an exported report opens in the browser
        for widget in (self.run_button, self.stop_button, self.limit):
            run.addWidget(widget)
        run.addWidget(self.progress, 1)
        run.addWidget(self.status, 2)
        layout.addLayout(run)

        past = QHBoxLayout()
        past.addWidget(QLabel("Evaluation"))
        self.past = named(QComboBox(), "past_evaluations")
        self.past.setPlaceholderText("no evaluations yet")
        self.past.setMinimumContentsLength(30)
        self.past.activated.connect(self._on_past_chosen)
        past.addWidget(self.past, 1)
        self.resume_button = named(QPushButton("Resume"), "resume_eval")
        self.resume_button.setToolTip("Run the rows this evaluation has not finished")
        self.resume_button.clicked.connect(self._on_resume)
        past.addWidget(self.resume_button)
        self.shown_actions = ShownEvalActions(self.controller)
        self.shown_actions.rerun_requested.connect(self.rerun_failing)
        self.shown_actions.calibrate_requested.connect(self._on_calibrate)
        self.shown_actions.message.connect(self._say)
        past.addWidget(self.shown_actions)
        self.only_failing = named(QCheckBox("Only failing rows"), "only_failing")
        self.only_failing.toggled.connect(self._on_only_failing)
        past.addWidget(self.only_failing)
        layout.addLayout(past)
        self.changes = named(QLabel(), "eval_changes")
        self.changes.setWordWrap(True)
        self.changes.setToolTip("Click the earlier evaluation to show it")
        self.changes.linkActivated.connect(self.load)
        self.changes.setVisible(False)
        layout.addWidget(self.changes)

        self.model = EvalRowsModel(self)
        self.proxy = FailingFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = named(QTableView(), "eval_rows")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._on_row_activated)
        self.summary = EvalSummaryView()
        self.chart = CostScoreChart()
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.summary)
        column.addWidget(self.chart, 1)
        split = named(QSplitter(Qt.Orientation.Horizontal), "eval_split")
        split.addWidget(self.table)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)

    # -- the store's lists -----------------------------------------------------------------

    def set_ready(self) -> None:
        """The session has opened the store: read the lists (once the panel shows)."""
        self.ready = True
        self.refresh()

    def refresh(self) -> None:
        """Read the datasets and evaluations in the store, when the panel is on screen
        (else when it next shows)."""
        self._stale = True
        if not self.ready or not self.isVisible():
            return
        self._stale = False
        EngineOp(self.controller.datasets, OpChanges()).success(self.setup.show_datasets).failure(
            self._on_failure
        ).run()
        EngineOp(self.controller.evaluations, OpChanges()).success(self._show_history).failure(
            self._on_failure
        ).run()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _on_changes(self, changes: OpChanges) -> None:
        if changes.datasets or changes.evaluations:
            self.refresh()

    def _show_history(self, records: list[EvaluationRecord]) -> None:
        self.history = records
        current = self.shown.record.eval_id if self.shown else None
        self.past.blockSignals(True)
        self.past.clear()
        for record in records:
            self.past.addItem(record_label(record), record.eval_id)
        at = self.past.findData(current)
        self.past.setCurrentIndex(at)
        self.past.setPlaceholderText(
            f"choose one of {plural(len(records), 'past evaluation')}"
            if records
            else "no evaluations yet"
        )
        self.past.blockSignals(False)
        self._enable()
        if records and self.shown is None and not self.controller.running:
            self.load(records[0].eval_id)  # the newest, as the panel first shows

    # -- running ---------------------------------------------------------------------------

    def run(self) -> asyncio.Task[object] | None:
        """Run the chosen eval file (read again: it may have changed on disk)."""
        setup = self.setup
        if setup.loaded is None or setup.loaded.path is None or self.controller.running:
            return None
        if not setup.set_eval_file(setup.loaded.path) or setup.loaded is None:
            return None
        return self.controller.start(setup.loaded, limit=self.limit.value() or None)

    def rerun_failing(self, eval_id: str | None = None) -> asyncio.Task[object] | None:
        """Run the failing rows of `eval_id` (default: the shown evaluation) again, as a new
        evaluation linked to it; once it ends, the panel shows which rows changed."""
        if eval_id is None and self.shown is not None:
            eval_id = self.shown.record.eval_id
        if eval_id is None:
            return None
        return self.controller.rerun_failing(eval_id)

    def _on_resume(self) -> None:
        if self.shown is not None and self.controller.resume(self.shown.record.eval_id):
            self._resuming = True  # keep the rows already shown: the new ones join them

    def _on_started(self, name: str) -> None:
        self.live = None
        self.shown = None
        if not self._resuming:
            loaded = self.setup.loaded
            self.model.reset([str(s.id) for s in loaded.spec.scorers] if loaded else [])
        self._resuming = False
        self.changes.setVisible(False)
        self.summary.clear(f"Running {html.escape(name)}…")
        self.chart.set_summary(None)
        self.progress.setRange(0, 0)  # busy until the first row says how many there are
        self.progress.setTextVisible(True)
        self._say(f"Running {html.escape(name)}: rows appear as they finish")
        self.table.setFocus()

    def _on_record_known(self, record: EvaluationRecord) -> None:
        self.live = record
        self.model.set_scorers([str(s["id"]) for s in record.spec.get("scorers", [])])
        self._summary_timer.start()

    def _on_row(self, result: RowResult, done: int, total: int) -> None:
        self.model.add(result)
        self.total = total
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if not self._summary_timer.isActive():
            self._summary_timer.start()

    def _on_live_summary(self) -> None:
        if self.live is None:
            return
        summary = summarize(self.live, list(self.model.rows), self.total)
        self.summary.set_summary(summary)
        self.chart.set_summary(summary)

    def _on_finished(self, outcome: object) -> None:
        self._summary_timer.stop()
        if isinstance(outcome, EvaluationRecord):
            self.load(outcome.eval_id)
        elif self.controller.eval_id is not None:
            self.load(self.controller.eval_id)
        if isinstance(outcome, WorkflowLoadError):
            loaded = self.setup.loaded
            name = loaded.path.name if loaded and loaded.path else "eval file"
            shown = "<br>".join(html.escape(p.format(name)) for p in outcome.problems[:5])
            self._say(f"<span style='{ERROR}'>Evaluation not started:</span><br>{shown}")
            self.progress.setRange(0, 1)
        elif isinstance(outcome, Exception):
            first = html.escape(str(outcome)).replace("\n", "<br>")
            self._say(f"<span style='{ERROR}'>Evaluation not started:</span> {first}")
            self.progress.setRange(0, 1)

    def _on_running(self, running: bool) -> None:
        self._enable()

    def _enable(self) -> None:
        running = self.controller.running
        can_run = not running and self.setup.loaded is not None
        for button, on in ((self.run_button, can_run), (self.stop_button, running)):
            if not on and button.hasFocus():  # else focus would fall to the row limit
                self.table.setFocus()
            button.setEnabled(on)
        self.past.setEnabled(not running)
        shown = self.shown
        self.shown_actions.update_for(shown, running)
        self.resume_button.setEnabled(
            not running
            and shown is not None
            and shown.record.status in RESUMABLE
            and shown.summary.done_rows < shown.summary.expected_rows
        )

    # -- past evaluations ------------------------------------------------------------------

    def _on_past_chosen(self, index: int) -> None:
        eval_id = self.past.itemData(index)
        if eval_id:
            self.load(str(eval_id))

    def load(self, eval_id: str) -> None:
        """Show a stored evaluation: its rows and summary, read in a worker thread."""
        op = EngineOp(lambda: self.controller.load(eval_id), OpChanges())
        op.success(self.show_evaluation).failure(self._on_failure).run()

    def show_evaluation(self, loaded: LoadedEvaluation) -> None:
        self.shown = loaded
        record, summary = loaded.record, loaded.summary
        path = record.eval_path
        if self.setup.loaded is None and path and Path(path).is_file():
            self.setup.set_eval_file(path)  # offered again for a re-run
        marks = change_marks(loaded.changes, loaded.results) if loaded.changes is not None else {}
        scorers = [str(s["id"]) for s in record.spec.get("scorers", [])]
        self.model.reset(scorers, loaded.results, marks)
        self._show_changes(loaded, marks)
        self.summary.set_summary(summary)
        self.chart.set_summary(summary)
        self.progress.setRange(0, max(summary.expected_rows, 1))
        self.progress.setValue(summary.done_rows)
        self.progress.setTextVisible(True)
        at = self.past.findData(record.eval_id)
        if at < 0:
            self.past.insertItem(0, record_label(record), record.eval_id)
            at = 0
        self.past.setCurrentIndex(at)
        self.table.resizeColumnsToContents()
        self._say(
            f"{record.name}: {record.status}, {summary.done_rows} rows, {loaded.failing} failing"
            + (" — double-click a row to open its run" if loaded.results else "")
        )
        self._enable()

    def _show_changes(self, loaded: LoadedEvaluation, marks: dict[Key, str]) -> None:
        """For a re-run of failing rows: how its rows did against the evaluation it re-ran."""
        if loaded.parent is not None:
            self.changes.setText(changes_html(loaded.parent, record_label(loaded.parent), marks))
        self.changes.setVisible(loaded.parent is not None)

    def _on_calibrate(self) -> None:
        _, path = self.open_workflow()
        source = source_for(self.setup.loaded, path, self.setup.chosen_dataset())
        if source is None:
            self._say(
                f"<span style='{ERROR}'>To calibrate routing, open an eval file, or save the "
                "workflow and import a dataset of labelled examples</span>"
            )
        else:
            self.calibrate_requested.emit(source)

    def _on_only_failing(self, on: bool) -> None:
        self.proxy.set_only_failing(on)

    def _on_row_activated(self, index: QModelIndex) -> None:
        run_id = self.proxy.data(index, RUN_ID_ROLE)
        if run_id:
            self.open_run_requested.emit(str(run_id))

    # -- messages --------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _on_failure(self, exc: BaseException) -> None:
        self._say(f"<span style='{ERROR}'>{html.escape(str(exc))}</span>")
