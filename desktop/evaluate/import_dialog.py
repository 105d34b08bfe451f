"""Importing a JSONL or CSV file as a dataset: the file is read in a worker thread, bad rows
are listed with their line and reason, and the import is refused unless the user chooses
to skip them. The dialog only reads; the caller stores the accepted examples."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import file_dialogs
from desktop.async_loop import spawn
from desktop.run.qt import named
from engine.evaluation.datasets import DatasetError, RowProblem, read_dataset
from engine.store.evaluation_records import Example
from engine.workflow.model import Workflow

DATASET_FILTER = "Datasets (*.jsonl *.ndjson *.csv);;All files (*)"
ERROR = "color:#e0413a"


def dataset_name(path: Path) -> str:
    """`reviews` for reviews.jsonl or reviews.dataset.csv."""
    return path.name.split(".")[0] or path.stem


class DatasetImportDialog(QDialog):
    read_done = Signal()
    """The chosen file has been read (or could not be)."""

    def __init__(
        self,
        workflow: Workflow | None = None,
        workflow_label: str = "",
        names: list[str] | None = None,
        parent: QWidget | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dataset_import_dialog")
        self.setWindowTitle("Import dataset")
        self.resize(640, 420)
        self.workflow = workflow
        self.names = names or []
        self.folder = folder
        """Where Browse starts: the open workflow's folder."""
        self.path: Path | None = None
        self.examples: list[Example] = []
        self.problems: list[RowProblem] = []
        self._reading = 0
        self._auto_name = ""
        layout = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.file = named(QLineEdit(), "dataset_file")
        self.file.setPlaceholderText("A .jsonl or .csv file: one example per line or row")
        self.file.returnPressed.connect(lambda: self.read(self.file.text()))
        browse = named(QPushButton("Browse…"), "browse_dataset")
        browse.clicked.connect(self._on_browse)
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.name = named(QLineEdit(), "dataset_name")
        self.name.setPlaceholderText("The dataset's name in the store")
        self.name.textChanged.connect(self._enable)
        form.addRow("Name", self.name)
        self.check = named(QCheckBox(f"Check rows against {workflow_label}"), "check_workflow")
        self.check.setToolTip("Rows missing a required input, or with a wrong type, are bad rows")
        self.check.setChecked(workflow is not None)
        self.check.setEnabled(workflow is not None)
        self.check.setVisible(workflow is not None)
        self.check.toggled.connect(lambda _: self.read(self.file.text()))
        form.addRow("", self.check)
        layout.addLayout(form)
        hint = QLabel(
            "Columns named like the workflow's inputs are inputs; <code>expected</code> or "
            "<code>expected.OUTPUT</code> hold expected values; <code>meta.KEY</code> is metadata."
        )
        hint.setWordWrap(True)
        hint.setEnabled(False)
        layout.addWidget(hint)
        self.status = named(QLabel("Choose a file to import"), "import_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.bad = named(QTableWidget(0, 2), "bad_rows")
        self.bad.setHorizontalHeaderLabels(["Line", "Why the row is refused"])
        self.bad.verticalHeader().setVisible(False)
        self.bad.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.bad.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.bad.setVisible(False)
        layout.addWidget(self.bad, 1)
        self.skip_bad = named(QCheckBox("Skip the bad rows and import the others"), "skip_bad")
        self.skip_bad.setVisible(False)
        self.skip_bad.toggled.connect(self._enable)
        layout.addWidget(self.skip_bad)
        layout.addStretch(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = named(
            buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole), "import_dataset"
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._enable()

    # -- reading the file ------------------------------------------------------------------

    def _on_browse(self) -> None:
        start = str(self.path.parent) if self.path else str(self.folder or "")
        path, _ = file_dialogs.open_file_name(self, "Import dataset", start, DATASET_FILTER)
        if path:
            self.file.setText(path)
            self.read(path)

    def read(self, text: str) -> None:
        """Read `text` (a file path) in a worker thread; `read_done` follows."""
        if not text.strip():
            return
        path = Path(text.strip()).expanduser()
        self.path = path
        if not self.name.text().strip() or self.name.text() == self._auto_name:
            self.name.setText(dataset_name(path))
        self._auto_name = self.name.text()
        self._reading += 1
        ticket = self._reading
        self.status.setText(f"Reading {path.name}…")
        self.import_button.setEnabled(False)
        workflow = self.workflow if self.check.isChecked() else None
        spawn(self._read(path, workflow, ticket))

    async def _read(self, path: Path, workflow: Workflow | None, ticket: int) -> None:
        try:
            examples, problems = await asyncio.to_thread(read_dataset, path, workflow)
        except DatasetError as exc:
            examples, problems = [], exc.problems
        if ticket != self._reading or self.result() or not self.isVisible():
            return  # a newer file was chosen meanwhile, or the dialog has closed
        self.examples, self.problems = examples, problems
        self._show()
        self.read_done.emit()

    def _show(self) -> None:
        good, bad = len(self.examples), len(self.problems)
        self.bad.setRowCount(bad)
        for i, problem in enumerate(self.problems):
            line = QTableWidgetItem(str(problem.line) if problem.line else "—")
            line.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.bad.setItem(i, 0, line)
            self.bad.setItem(i, 1, QTableWidgetItem(" ".join(problem.message.split())))
        self.bad.resizeColumnToContents(0)
        self.bad.setVisible(bad > 0)
        self.skip_bad.setVisible(bad > 0 and good > 0)
        if not bad:
            self.status.setText(f"{good} rows, all good")
        elif not good:
            self.status.setText(f"<span style='{ERROR}'>No row can be imported:</span>")
        else:
            self.status.setText(
                f"{good} good rows, <span style='{ERROR}'><b>{bad} bad</b></span>: nothing is "
                "imported unless you skip the bad rows"
            )
        self._enable()

    # -- the decision ----------------------------------------------------------------------

    def can_import(self) -> bool:
        return (
            bool(self.examples)
            and bool(self.name.text().strip())
            and (not self.problems or self.skip_bad.isChecked())
        )

    def _enable(self) -> None:
        self.import_button.setEnabled(self.can_import())
        if self.name.text().strip() in self.names:
            self.import_button.setToolTip("Adds a new version of this dataset")
        else:
            self.import_button.setToolTip("")

    def accept(self) -> None:
        if self.can_import():
            super().accept()

    def dataset(self) -> tuple[str, list[Example], str | None]:
        """(name, the good examples, the source file) to store."""
        source = str(self.path.resolve()) if self.path else None
        return self.name.text().strip(), list(self.examples), source
