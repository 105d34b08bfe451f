"""The form that builds an eval file without writing YAML: the workflow (the open one or a
file), the dataset, scorers and variants; saved as a `*.eval.yaml` once the engine's own
reader accepts it."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop import file_dialogs
from desktop.evaluate.form_data import (
    EvalForm,
    FormError,
    ScorerRow,
    dump_eval,
    form_from_spec,
    spec_data,
)
from desktop.evaluate.form_tables import ScorersTable, VariantsTable
from desktop.evaluate.import_dialog import DATASET_FILTER
from desktop.run.qt import named
from engine.errors import WorkflowLoadError
from engine.evaluation.spec import LoadedEval, loads_eval
from engine.workflow.loader import load_workflow
from engine.workflow.model import Workflow

EVAL_FILTER = "Eval files (*.eval.yaml);;YAML files (*.yaml *.yml);;All files (*)"
WORKFLOW_FILTER = "Interlock workflows (*.interlock.yaml *.yaml *.yml);;All files (*)"
LLM_KINDS = ("llm", "agent", "map")


def outputs_of(workflow: Workflow) -> list[str]:
    names = []
    for node in workflow.nodes:
        if node.kind == "output":
            name = node.config.get("name") if isinstance(node.config, dict) else None
            names.append(str(name or node.id))
    return names


def model_nodes(workflow: Workflow) -> list[str]:
    return [n.id for n in workflow.nodes if n.kind in LLM_KINDS]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "evaluation"


class EvalFormDialog(QDialog):
    saved = Signal(str)
    """The path of the eval file just written."""

    def __init__(
        self,
        open_workflow: tuple[Workflow, Path | None] | None = None,
        datasets: list[str] | None = None,
        dataset: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("eval_form_dialog")
        self.setWindowTitle("New evaluation")
        self.resize(860, 620)
        self.open_workflow = open_workflow
        self.saved_path: Path | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = named(QLineEdit(), "eval_name")
        form.addRow("Name", self.name)
        row = QHBoxLayout()
        self.workflow = named(QLineEdit(), "eval_workflow")
        self.workflow.setPlaceholderText("The workflow file to evaluate")
        self.workflow.editingFinished.connect(self._on_workflow)
        self.use_open = named(QPushButton("Open workflow"), "use_open_workflow")
        self.use_open.clicked.connect(self._on_use_open)
        path = open_workflow[1] if open_workflow else None
        self.use_open.setEnabled(path is not None)
        self.use_open.setToolTip(
            str(path) if path is not None else "Save the open workflow to a file first"
        )
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_workflow)
        row.addWidget(self.workflow, 1)
        row.addWidget(self.use_open)
        row.addWidget(browse)
        form.addRow("Workflow", row)
        self.workflow_info = named(QLabel(), "workflow_info")
        self.workflow_info.setEnabled(False)
        form.addRow("", self.workflow_info)
        row = QHBoxLayout()
        self.dataset = named(QComboBox(), "eval_dataset")
        self.dataset.setEditable(True)
        self.dataset.addItems(datasets or [])
        self.dataset.setCurrentText(dataset)
        line = self.dataset.lineEdit()
        if line is not None:
            line.setPlaceholderText("A stored dataset's name, or a .jsonl / .csv file")
        file_button = QPushButton("File…")
        file_button.clicked.connect(self._on_browse_dataset)
        row.addWidget(self.dataset, 1)
        row.addWidget(file_button)
        form.addRow("Dataset", row)
        options = QHBoxLayout()
        self.concurrency = named(QSpinBox(), "eval_concurrency")
        self.concurrency.setRange(1, 16)
        self.concurrency.setValue(2)
        self.concurrency.setToolTip("Rows run at once")
        self.min_pass = named(QDoubleSpinBox(), "eval_min_pass")
        self.min_pass.setRange(0.0, 1.0)
        self.min_pass.setSingleStep(0.05)
        self.min_pass.setSpecialValueText("no gate")
        self.min_pass.setToolTip("The gate: the pass rate every variant must reach")
        options.addWidget(QLabel("Rows at once"))
        options.addWidget(self.concurrency)
        options.addSpacing(16)
        options.addWidget(QLabel("Min pass rate"))
        options.addWidget(self.min_pass)
        options.addStretch(1)
        form.addRow("Options", options)
        layout.addLayout(form)
        self.scorers = ScorersTable()
        layout.addWidget(self._group("Scorers: how each row's output is judged", self.scorers), 3)
        self.variants = VariantsTable()
        variants = self._group("Variants: ways to run the workflow (none: as it is)", self.variants)
        layout.addWidget(variants, 2)
        self.problem = named(QLabel(), "form_problem")
        self.problem.setStyleSheet("color:#e0413a")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = named(
            buttons.addButton("Save…", QDialogButtonBox.ButtonRole.AcceptRole), "save_eval"
        )
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if path is not None:
            self._on_use_open()
        self.scorers.add_row()

    def _group(self, title: str, widget: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(6, 6, 6, 6)
        inner.addWidget(widget)
        return box

    # -- the workflow and dataset ----------------------------------------------------------

    def _on_use_open(self) -> None:
        if self.open_workflow is None or self.open_workflow[1] is None:
            return
        workflow, path = self.open_workflow
        self.workflow.setText(str(path))
        self._show_workflow(workflow)

    def _on_browse_workflow(self) -> None:
        path, _ = file_dialogs.open_file_name(self, "Workflow to evaluate", "", WORKFLOW_FILTER)
        if path:
            self.workflow.setText(path)
            self._on_workflow()

    def _on_workflow(self) -> None:
        text = self.workflow.text().strip()
        if not text:
            return
        if self.open_workflow is not None and self.open_workflow[1] == Path(text):
            self._show_workflow(self.open_workflow[0])
            return
        try:
            workflow = load_workflow(text).workflow  # one small file, read like File > Open
        except WorkflowLoadError as exc:
            first = exc.problems[0].message if exc.problems else str(exc)
            self.workflow_info.setText(f"Cannot read this workflow: {first}")
            return
        self._show_workflow(workflow)

    def _show_workflow(self, workflow: Workflow) -> None:
        outputs, nodes = outputs_of(workflow), model_nodes(workflow)
        self.scorers.set_outputs(outputs)
        self.variants.set_nodes(nodes)
        inputs = ", ".join(d.name for d in workflow.inputs) or "none"
        self.workflow_info.setText(
            f"{workflow.metadata.name}: inputs {inputs}; outputs {', '.join(outputs) or 'none'}; "
            f"model nodes {', '.join(nodes) or 'none'}"
        )
        if not self.name.text().strip():
            self.name.setText(f"{workflow.metadata.name} check")

    def _on_browse_dataset(self) -> None:
        path, _ = file_dialogs.open_file_name(self, "Dataset file", "", DATASET_FILTER)
        if path:
            self.dataset.setCurrentText(path)

    # -- the form as an eval file ----------------------------------------------------------

    def form(self) -> EvalForm:
        rate = self.min_pass.value()
        return EvalForm(
            self.name.text(),
            self.workflow.text(),
            self.dataset.currentText(),
            self.scorers.rows(),
            self.variants.rows(),
            self.concurrency.value(),
            rate if rate > 0 else None,
        )

    def set_form(self, form: EvalForm) -> None:
        self.name.setText(form.name)
        self.workflow.setText(form.workflow)
        self._on_workflow()
        self.dataset.setCurrentText(form.dataset)
        self.concurrency.setValue(form.concurrency)
        self.min_pass.setValue(form.min_pass_rate or 0.0)
        self.scorers.set_rows(form.scorers or [ScorerRow("correct")])
        self.variants.set_rows(form.variants)

    def edit(self, loaded: LoadedEval) -> None:
        """Show an eval file to change it (Save writes it where the user says)."""
        self.setWindowTitle(f"Edit evaluation — {loaded.path.name if loaded.path else ''}")
        self.saved_path = loaded.path
        self.set_form(form_from_spec(loaded.spec, loaded.base_dir))

    def text_for(self, path: Path) -> str:
        """The eval file's text for saving at `path`, checked by the engine's reader.
        Raises FormError or WorkflowLoadError."""
        text = dump_eval(spec_data(self.form(), path.parent))
        loads_eval(text, path)
        return text

    def save_to(self, path: Path) -> bool:
        try:
            text = self.text_for(path)
            path.write_text(text, encoding="utf-8")
        except FormError as exc:
            self.problem.setText(str(exc))
            return False
        except WorkflowLoadError as exc:
            self.problem.setText("; ".join(p.message for p in exc.problems[:3]))
            return False
        except OSError as exc:
            self.problem.setText(f"Cannot write {path}: {exc.strerror or exc}")
            return False
        self.problem.clear()
        self.saved_path = path
        self.saved.emit(str(path))
        return True

    def _default_path(self) -> Path:
        if self.saved_path is not None:
            return self.saved_path
        workflow = Path(self.workflow.text().strip() or Path.home() / "x")
        return workflow.parent / f"{slug(self.name.text())}.eval.yaml"

    def _on_save(self) -> None:
        try:  # say what is wrong before asking where to save
            spec_data(self.form(), None)
        except FormError as exc:
            self.problem.setText(str(exc))
            return
        name, _ = file_dialogs.save_file_name(
            self, "Save eval file", str(self._default_path()), EVAL_FILTER
        )
        if name and self.save_to(Path(name)):
            self.accept()
