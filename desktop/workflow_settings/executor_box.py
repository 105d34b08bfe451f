"""The "Map items run" box of the workflow settings' Policy tab: the workflow's
`policy.executor` as a choice (as the settings say, in the run's process, or on a Ray
cluster, with the head's address). It edits nothing itself: each change is offered to the
panel as the new value of `policy.executor` (None: unset)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit, QWidget

CHOICES = (
    ("Default: here, or the config's [cluster]", None),
    ("In the run's process (local)", "local"),
    ("On a Ray cluster", "ray"),
)
"""The choices' labels and the `kind` each writes (None: no `executor` in the file)."""


class ExecutorBox(QGroupBox):
    changed = Signal(object)
    """The new `policy.executor` value: None, or a dict with `kind` (and `address`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Map items run", parent)
        self.setObjectName("executor_box")
        self.setToolTip(
            "Where a map node's items execute. On a Ray cluster, items that ask a person or "
            "use tools still run here; `interlock cluster start` starts a cluster on this "
            "machine."
        )
        self.kind = QComboBox()
        self.kind.setObjectName("executor_kind")
        for label, kind in CHOICES:
            self.kind.addItem(label, kind)
        self.address = QLineEdit()
        self.address.setObjectName("executor_address")
        self.address.setPlaceholderText("the cluster started on this machine")
        self.address.setToolTip("The head's HOST:PORT, as `interlock cluster start` printed it")
        form = QFormLayout(self)
        form.addRow("Where", self.kind)
        form.addRow("Head address", self.address)
        self._form = form
        self.kind.activated.connect(lambda _: self._offer())
        self.address.editingFinished.connect(self._offer)
        self._shown: Any = None

    def set_value(self, executor: dict[str, Any] | None) -> None:
        """Show the workflow's `policy.executor` (as JSON data; None: unset)."""
        self._shown = executor
        kind = executor.get("kind") if executor else None
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.address.setText((executor or {}).get("address") or "")
        self._form.setRowVisible(self.address, kind == "ray")

    def value(self) -> dict[str, Any] | None:
        kind = self.kind.currentData()
        if kind is None:
            return None
        address = self.address.text().strip()
        return {"kind": kind, "address": address} if kind == "ray" and address else {"kind": kind}

    def _offer(self) -> None:
        self._form.setRowVisible(self.address, self.kind.currentData() == "ray")
        value = self.value()
        if value != self._shown:
            self._shown = value
            self.changed.emit(value)
