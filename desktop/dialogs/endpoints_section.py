"""Remote endpoints in the models dialog: list, add (the API key goes to the OS keyring and
is never shown back in full), test (GET /models) and remove; backed by the user config."""

from __future__ import annotations

import time

import httpx
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
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

from desktop.run.ops import EngineOp, OpChanges
from desktop.run.qt import named
from engine.config import ConfigError
from engine.providers.remote import endpoint as endpoints
from engine.providers.remote import secrets
from engine.providers.remote.calls import offline_switch

HEADERS = ["Name", "URL", "Models", "$/1M in", "$/1M out", "Key"]


def masked(key: str | None) -> str:
    """What the UI shows of a key: never more than its last four characters."""
    if not key:
        return "none"
    return "stored ••••" + (key[-4:] if len(key) >= 12 else "")


async def probe(endpoint: endpoints.Endpoint, key: str | None, timeout: float = 8.0) -> str:
    """A short description of `GET <api_base>/models` on the endpoint."""
    if offline_switch():
        return "offline mode is on: no connection attempted"
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=timeout) as client:
        response = await client.get(f"{endpoint.api_base}/models", headers=headers)
    took = (time.monotonic() - started) * 1000
    if response.status_code != 200:
        return f"HTTP {response.status_code} in {took:.0f} ms"
    try:
        served = [m.get("id") for m in response.json().get("data", [])]
    except (ValueError, AttributeError):
        served = []
    missing = [m for m in endpoint.models if served and m not in served]
    text = f"OK in {took:.0f} ms, serves {len(served)} model(s)"
    return text + (f"; not served: {', '.join(missing)}" if missing else "")


class EndpointsWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[endpoints.Endpoint] = []
        layout = QVBoxLayout(self)
        self.table = named(QTableWidget(0, len(HEADERS)), "endpoints_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._load_selected)
        layout.addWidget(self.table)
        form = QFormLayout()
        self.name = named(QLineEdit(placeholderText="e.g. lab-gpu"), "ep_name")
        self.url = named(QLineEdit(placeholderText="http://127.0.0.1:8080/v1"), "ep_url")
        self.models = named(QLineEdit(placeholderText="model-a, model-b"), "ep_models")
        self.price_in = named(QDoubleSpinBox(maximum=1000, decimals=3), "ep_price_in")
        self.price_out = named(QDoubleSpinBox(maximum=1000, decimals=3), "ep_price_out")
        self.key = named(QLineEdit(), "ep_key")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("API key (stored in the OS keyring; leave empty to keep)")
        for label, widget in (
            ("Name", self.name),
            ("Base URL", self.url),
            ("Models", self.models),
            ("Price in ($/1M tokens)", self.price_in),
            ("Price out ($/1M tokens)", self.price_out),
            ("API key", self.key),
        ):
            form.addRow(label, widget)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.status = named(QLabel(wordWrap=True), "ep_status")
        row.addWidget(self.status, 1)
        for text, slot in (("Save", self.save), ("Test", self.test), ("Remove", self.remove)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        try:
            self.items = endpoints.load_endpoints()
        except ConfigError as exc:
            self.status.setText(str(exc))
            self.items = []
        self.table.setRowCount(len(self.items))
        for i, e in enumerate(self.items):
            cells = [e.name, e.base_url, ", ".join(e.models), f"{e.price_in:g}",
                     f"{e.price_out:g}", masked(secrets.get_key(e.name))]  # fmt: skip
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))

    def _load_selected(self) -> None:
        e = self.selected()
        if e is None:
            return
        self.name.setText(e.name)
        self.url.setText(e.base_url)
        self.models.setText(", ".join(e.models))
        self.price_in.setValue(e.price_in)
        self.price_out.setValue(e.price_out)
        self.key.clear()

    def selected(self) -> endpoints.Endpoint | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows else None

    def _from_form(self) -> endpoints.Endpoint:
        models = tuple(m.strip() for m in self.models.text().split(",") if m.strip())
        return endpoints.Endpoint(
            name=self.name.text().strip(),
            base_url=self.url.text().strip(),
            models=models,
            price_in=self.price_in.value(),
            price_out=self.price_out.value(),
        )

    def save(self) -> None:
        try:
            endpoint = self._from_form()
            endpoints.save_endpoint(endpoint)
            if self.key.text():
                secrets.set_key(endpoint.name, self.key.text())
        except (ConfigError, secrets.NoKeyringBackend) as exc:
            self.status.setText(str(exc))
            return
        finally:
            self.key.clear()
        self.status.setText(f"Saved {endpoint.name}")
        self.refresh()

    def test(self) -> None:
        try:
            endpoint = self.selected() or self._from_form()
        except ConfigError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"Testing {endpoint.name}…")
        key = self.key.text() or secrets.get_key(endpoint.name)
        op = EngineOp(lambda: probe(endpoint, key), OpChanges(endpoints=True))
        op.success(lambda text: self.status.setText(f"{endpoint.name}: {text}"))
        op.failure(
            lambda exc: self.status.setText(
                f"{endpoint.name}: {type(exc).__name__}: {secrets.redact(str(exc), key)}"
            )
        )
        op.run()

    def remove(self) -> None:
        endpoint = self.selected()
        if endpoint is None:
            return
        endpoints.remove_endpoint(endpoint.name)
        secrets.delete_key(endpoint.name)
        self.status.setText(f"Removed {endpoint.name}")
        self.refresh()
