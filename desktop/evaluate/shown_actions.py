"""Actions on the evaluation the Evaluate dock shows: re-run its failing rows, export it as a
self-contained HTML report (with its failing runs' trace reports beside it), and calibrate
an llm node's routing on its eval."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from desktop import file_dialogs
from desktop.evaluate.controller import EvalController, ExportedReport, LoadedEvaluation
from desktop.evaluate.results_model import Key
from desktop.evaluate.setup_bar import plural
from desktop.run.ops import EngineOp, OpChanges
from desktop.run.qt import named
from engine.store.evaluation_records import EvaluationRecord

HTML_FILTER = "HTML report (*.html);;All files (*)"
ERROR = "color:#e0413a"


def report_name(loaded: LoadedEvaluation) -> str:
    """A file name for the report: the evaluation's name made safe, and its id."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", loaded.record.name).strip("-.") or "evaluation"
    return f"{stem}-{loaded.record.eval_id}.html"


def report_folder(loaded: LoadedEvaluation) -> Path:
    """Where the report is offered: beside the eval file, else beside the workflow it ran
    (a calibration's evaluation has no eval file), else the home folder."""
    record = loaded.record
    for candidate in (record.eval_path, record.spec.get("workflow")):
        if isinstance(candidate, str) and Path(candidate).is_absolute():
            folder = Path(candidate).parent
            if folder.is_dir():
                return folder
    return Path.home()


def changes_html(parent: EvaluationRecord, label: str, marks: dict[Key, str]) -> str:
    """The line over a re-run's rows: how they did against the evaluation it re-ran (a
    link to show it)."""
    fixed = sum(m == "fixed" for m in marks.values())
    broke = sum(m == "broke" for m in marks.values())
    still = sum(m == "still failing" for m in marks.values())
    broke_text = f"<span style='{ERROR}'><b>{broke} broke</b></span>" if broke else "0 broke"
    return (
        f"Re-run of the failing rows of <a href='{html.escape(parent.eval_id)}'>"
        f"{html.escape(label)}</a>: <span style='color:#22a559'><b>{fixed} fixed</b></span>, "
        f"{broke_text}, {still} still failing"
    )


class ShownEvalActions(QWidget):
    rerun_requested = Signal(str)
    """The id of the evaluation whose failing rows to run again."""
    calibrate_requested = Signal()
    message = Signal(str)
    """Rich text for the panel's status line."""

    def __init__(self, controller: EvalController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.shown: LoadedEvaluation | None = None
        self.exported: ExportedReport | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.rerun_button = named(QPushButton("Re-run failing"), "rerun_failing")
        self.rerun_button.setToolTip(
            "A new evaluation of only the rows that failed here, on the eval file and workflow "
            "as they are now; then which rows it fixed or broke"
        )
        self.rerun_button.clicked.connect(self._on_rerun)
        self.export_button = named(QPushButton("Export report…"), "export_eval_report")
        self.export_button.setToolTip(
            "Save this evaluation as one HTML page, with the trace report of each failing row's "
            "run in a folder beside it"
        )
        self.export_button.clicked.connect(lambda: self.export_report())
        self.calibrate_button = named(QPushButton("Calibrate routing…"), "calibrate_routing")
        self.calibrate_button.setToolTip(
            "Fit an llm node's escalation ladder on this dataset: the cheapest route that keeps "
            "the quality you ask for"
        )
        self.calibrate_button.clicked.connect(lambda: self.calibrate_requested.emit())
        for button in (self.rerun_button, self.export_button, self.calibrate_button):
            row.addWidget(button)

    def update_for(self, shown: LoadedEvaluation | None, running: bool) -> None:
        self.shown = shown
        failing = shown.failing if shown is not None else 0
        self.rerun_button.setEnabled(not running and failing > 0)
        self.rerun_button.setText(f"Re-run {failing} failing" if failing else "Re-run failing")
        self.export_button.setEnabled(shown is not None)
        self.calibrate_button.setEnabled(not running)

    def _on_rerun(self) -> None:
        if self.shown is not None:
            self.rerun_requested.emit(self.shown.record.eval_id)

    def export_report(self, path: Path | None = None) -> asyncio.Task[None] | None:
        """Write the shown evaluation's report to `path` (asked for when None), off the GUI
        thread."""
        shown = self.shown
        if shown is None:
            return None
        if path is None:
            start = report_folder(shown) / report_name(shown)
            chosen, _ = file_dialogs.save_file_name(
                self, "Export evaluation report", str(start), HTML_FILTER
            )
            if not chosen:
                return None
            path = Path(chosen) if Path(chosen).suffix else Path(chosen).with_suffix(".html")
        out, eval_id = path, shown.record.eval_id
        self.message.emit(f"Writing the report of {html.escape(shown.record.name)}…")
        return (
            EngineOp(lambda: self.controller.export_report(eval_id, out), OpChanges())
            .success(self._on_exported)
            .failure(self._on_failure)
            .run()
        )

    def _on_exported(self, report: ExportedReport) -> None:
        self.exported = report
        url = QUrl.fromLocalFile(str(report.path)).toString()
        runs = (
            f" and {plural(report.run_reports, 'run report')} of failing rows in "
            f"{html.escape(report.folder.name)}/"
            if report.run_reports
            else ""
        )
        self.message.emit(f"Wrote <a href='{url}'>{html.escape(report.path.name)}</a>{runs}")

    def _on_failure(self, exc: BaseException) -> None:
        text = html.escape(str(exc))
        self.message.emit(f"<span style='{ERROR}'>Report not written: {text}</span>")
