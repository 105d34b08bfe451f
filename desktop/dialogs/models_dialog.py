"""Models and endpoints: the local model catalog (bundled and imported GGUF files, their
header metadata and measured speed; import, benchmark, remove), remote endpoints and tool
sources (MCP servers)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import file_dialogs
from desktop.dialogs.endpoints_section import EndpointsWidget
from desktop.dialogs.tool_sources_section import ToolSourcesWidget
from desktop.run.ops import EngineOp, OpChanges
from desktop.run.qt import named
from local_models.catalog import CatalogEntry, ModelCatalog

HEADERS = ["Model", "Source", "Architecture", "Parameters", "Quant", "Context", "Size",
           "Chat", "Tokens/s", "Path"]  # fmt: skip


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _params(n: int) -> str:
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


class LocalModelsWidget(QWidget):
    def __init__(self, catalog: ModelCatalog | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog or ModelCatalog()
        self.entries: list[CatalogEntry] = []
        layout = QVBoxLayout(self)
        self.table = named(QTableWidget(0, len(HEADERS)), "models_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.status = named(QLabel("Loading…"), "models_status")
        row.addWidget(self.status, 1)
        self.import_button = QPushButton("Import GGUF…")
        self.bench_button = QPushButton("Benchmark")
        self.remove_button = QPushButton("Remove")
        self.import_button.clicked.connect(self.import_model)
        self.bench_button.clicked.connect(self.bench_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        for button in (self.import_button, self.bench_button, self.remove_button):
            row.addWidget(button)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        EngineOp.threaded(self.catalog.list, OpChanges()).success(self._show).failure(
            lambda exc: self.status.setText(f"Cannot read the catalog: {exc}")
        ).run()

    def _show(self, entries: list[CatalogEntry]) -> None:
        self.entries = entries
        self.table.setRowCount(len(entries))
        for i, e in enumerate(entries):
            speed = e.profile.tokens_per_second
            cells = [
                f"{e.display_name} ({e.model_id})",
                e.source,
                e.architecture,
                _params(e.parameter_count),
                e.quantization,
                str(e.context_length or "?"),
                _size(e.file_size),
                "yes" if e.has_chat_template else "no",
                f"{speed:.1f}" if speed else "not measured",
                str(e.path),
            ]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(
            len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.status.setText(f"{len(entries)} local model(s)")

    def selected(self) -> CatalogEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _busy(self, text: str) -> None:
        self.status.setText(text)

    def _done(self, text: str) -> None:
        self.status.setText(text)
        self.refresh()

    def import_model(self) -> None:
        path, _ = file_dialogs.open_file_name(self, "Import model", "", "GGUF (*.gguf)")
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path) -> None:
        self._busy(f"Importing {path.name} (checking, copying, benchmarking)…")
        op = EngineOp.threaded(lambda: self.catalog.import_file(path), OpChanges(models=True))
        op.success(lambda e: self._done(f"Imported {e.model_id}"))
        op.failure(lambda exc: self._done(f"Import failed: {exc}")).run()

    def bench_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self._busy(f"Benchmarking {entry.model_id}…")
        op = EngineOp.threaded(lambda: self.catalog.bench(entry.model_id), OpChanges(models=True))
        op.success(lambda e: self._done(f"{e.model_id}: {e.profile.tokens_per_second} tokens/s"))
        op.failure(lambda exc: self._done(f"Benchmark failed: {exc}")).run()

    def remove_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        try:
            self.catalog.remove(entry.model_id)
        except Exception as exc:
            self.status.setText(str(exc))
            return
        self._done(f"Removed {entry.model_id}")


class ModelsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, catalog: ModelCatalog | None = None):
        super().__init__(parent)
        self.setWindowTitle("Models and endpoints")
        self.setObjectName("models_dialog")
        self.resize(1000, 520)
        layout = QVBoxLayout(self)
        tabs = QTabWidget()
        self.local = LocalModelsWidget(catalog)
        self.endpoints = EndpointsWidget()
        tabs.addTab(self.local, "Local models")
        tabs.addTab(self.endpoints, "Remote endpoints")
        self.tool_sources = ToolSourcesWidget()
        tabs.addTab(self.tool_sources, "Tool sources")
        self.tabs = tabs
        layout.addWidget(tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
