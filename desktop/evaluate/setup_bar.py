"""The top of the Evaluate dock: the stored datasets (and importing a file as one) and the
eval file to run (opened, or built and edited in the form)."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop import file_dialogs
from desktop.evaluate.controller import EvalController
from desktop.evaluate.eval_form import EVAL_FILTER, EvalFormDialog
from desktop.evaluate.import_dialog import DatasetImportDialog
from desktop.run.ops import EngineOp, OpChanges
from desktop.run.qt import named
from engine.errors import WorkflowLoadError
from engine.evaluation.spec import LoadedEval, load_eval
from engine.store.evaluation_records import DatasetInfo
from engine.workflow.model import Workflow

OpenWorkflow = Callable[[], tuple[Workflow, Path | None]]
ERROR = "color:#e0413a"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class EvalSetupBar(QWidget):
    changed = Signal()
    """The eval file was chosen (or could not be read)."""
    message = Signal(str)
    """Rich text for the panel's status line."""

    def __init__(
        self, controller: EvalController, open_workflow: OpenWorkflow, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.open_workflow = open_workflow
        self.datasets: list[DatasetInfo] = []
        self.loaded: LoadedEval | None = None
        self.import_dialog: DatasetImportDialog | None = None
        self.form_dialog: EvalFormDialog | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Dataset"))
        self.dataset = named(QComboBox(), "datasets")
        self.dataset.setMinimumContentsLength(14)
        self.dataset.setPlaceholderText("none yet")
        self.dataset.setToolTip("Stored datasets: new evaluations built here use the chosen one")
        row.addWidget(self.dataset)
        self.import_button = named(QPushButton("Import…"), "import_dataset_button")
        self.import_button.setToolTip("Store a JSONL or CSV file of labelled examples")
        self.import_button.clicked.connect(self.import_dataset)
        row.addWidget(self.import_button)
        row.addSpacing(12)
        row.addWidget(QLabel("Eval file"))
        self.eval_label = named(QLabel("none: open one or make a new one"), "eval_file")
        self.eval_label.setMinimumWidth(120)
        row.addWidget(self.eval_label, 1)
        self.open_button = named(QPushButton("Open…"), "open_eval")
        self.open_button.clicked.connect(self._on_open)
        self.new_button = named(QPushButton("New…"), "new_eval")
        self.new_button.setToolTip("Build an eval file from a form: workflow, scorers, variants")
        self.new_button.clicked.connect(lambda: self.new_eval())
        self.edit_button = named(QPushButton("Edit…"), "edit_eval")
        self.edit_button.clicked.connect(lambda: self.new_eval(edit=True))
        self.edit_button.setEnabled(False)
        for button in (self.open_button, self.new_button, self.edit_button):
            row.addWidget(button)

    # -- datasets --------------------------------------------------------------------------

    def show_datasets(self, infos: list[DatasetInfo], select: str | None = None) -> None:
        """List each dataset's newest version (`infos` is newest first)."""
        newest: dict[str, DatasetInfo] = {}
        for info in infos:
            newest.setdefault(info.name, info)
        self.datasets = list(newest.values())
        current = select or self.dataset.currentData()
        self.dataset.blockSignals(True)
        self.dataset.clear()
        for info in self.datasets:
            self.dataset.addItem(f"{info.name} ({plural(info.row_count, 'row')})", info.name)
            self.dataset.setItemData(
                self.dataset.count() - 1,
                f"{info.name}@{info.hash[:12]} from {info.source or 'the store'}",
                Qt.ItemDataRole.ToolTipRole,
            )
        at = self.dataset.findData(current)
        self.dataset.setCurrentIndex(at if at >= 0 else 0 if self.datasets else -1)
        self.dataset.blockSignals(False)

    def chosen_dataset(self) -> DatasetInfo | None:
        name = self.dataset.currentData()
        return next((info for info in self.datasets if info.name == name), None)

    def dataset_names(self) -> list[str]:
        return [info.name for info in self.datasets]

    def import_dataset(self) -> DatasetImportDialog:
        workflow, path = self.open_workflow()
        label = f"{workflow.metadata.name}'s inputs"
        dialog = DatasetImportDialog(
            workflow if workflow.inputs else None,
            label,
            self.dataset_names(),
            self,
            path.parent if path is not None else None,
        )
        dialog.accepted.connect(lambda: self._store(dialog))
        dialog.finished.connect(dialog.deleteLater)
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def _store(self, dialog: DatasetImportDialog) -> None:
        name, examples, source = dialog.dataset()
        skipped = len(dialog.problems)

        def stored(info: DatasetInfo) -> None:
            self.show_datasets([info, *self.datasets], select=info.name)
            more = f", skipped {skipped} bad rows" if skipped else ""
            self.message.emit(
                f"Stored dataset {html.escape(info.name)}: {info.row_count} rows{more}"
            )

        EngineOp(
            lambda: self.controller.save_dataset(name, examples, source), OpChanges(datasets=True)
        ).success(stored).failure(self._on_failure).run()

    # -- the eval file ---------------------------------------------------------------------

    def _on_open(self) -> None:
        start = str(self.loaded.path) if self.loaded and self.loaded.path else ""
        path, _ = file_dialogs.open_file_name(self, "Open eval file", start, EVAL_FILTER)
        if path:
            self.set_eval_file(path)

    def set_eval_file(self, path: str | Path) -> bool:
        """Read the eval file (one small file, like File > Open); say what is wrong if it
        cannot be used."""
        try:
            loaded = load_eval(path)
        except WorkflowLoadError as exc:
            self.loaded = None
            shown = "<br>".join(html.escape(p.format(Path(path).name)) for p in exc.problems[:5])
            self.message.emit(f"<span style='{ERROR}'>Cannot use this eval file:</span><br>{shown}")
            self.eval_label.setText(html.escape(Path(path).name))
            self.edit_button.setEnabled(False)
            self.changed.emit()
            return False
        self.loaded = loaded
        spec = loaded.spec
        self.eval_label.setText(
            f"<b>{html.escape(spec.name)}</b> — {html.escape(Path(spec.workflow).name)} on "
            f"{html.escape(Path(spec.dataset).name)}, {plural(len(spec.scorers), 'scorer')}, "
            f"{plural(len(spec.variants) or 1, 'variant')}"
        )
        self.eval_label.setToolTip(str(loaded.path))
        at = self.dataset.findData(spec.dataset)
        if at >= 0:
            self.dataset.setCurrentIndex(at)
        self.edit_button.setEnabled(True)
        self.message.emit(f"Ready to run {html.escape(spec.name)}")
        self.changed.emit()
        return True

    def new_eval(self, edit: bool = False) -> EvalFormDialog:
        """The form, on the open workflow and the chosen dataset (or on the eval file)."""
        workflow, path = self.open_workflow()
        dialog = EvalFormDialog(
            (workflow, path), self.dataset_names(), self.dataset.currentData() or "", self
        )
        if edit and self.loaded is not None:
            dialog.edit(self.loaded)
        dialog.saved.connect(self.set_eval_file)
        dialog.finished.connect(dialog.deleteLater)
        self.form_dialog = dialog
        dialog.open()
        return dialog

    def _on_failure(self, exc: BaseException) -> None:
        self.message.emit(f"<span style='{ERROR}'>{html.escape(str(exc))}</span>")
