"""The map node's item policy as a form: the retries of one failing item, and what a failed
item does to the map (fails it, leaves null in its place, or is collected on `errors`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from desktop.inspector.fields import FieldEditor, FieldShape
from desktop.inspector.policy_form import RetryEditor, _GroupEditor
from engine.nodes.composite import ItemPolicy
from engine.workflow.model import RetryPolicy

ON_ERROR: tuple[tuple[str, str], ...] = (
    ("fail", "Fail the map"),
    ("continue", "Leave null in its place"),
    ("collect", "Collect it on the errors port"),
)
"""Each `on_error` value with the words the form shows for it."""


class ItemPolicyEditor(_GroupEditor):
    """On error (a choice) and the retry form of one item; shows and edits `item_policy`."""

    def __init__(self, shape: FieldShape) -> None:
        super().__init__(shape, QWidget())
        form = QFormLayout(self.widget)
        form.setContentsMargins(0, 0, 0, 0)
        self.on_error = QComboBox()
        self.on_error.setObjectName("item_on_error")
        for value, label in ON_ERROR:
            self.on_error.addItem(label, value)
        self.on_error.setToolTip(ItemPolicy.model_fields["on_error"].description or "")
        self.on_error.activated.connect(lambda _i: self.commit())
        form.addRow("When an item fails", self.on_error)
        self.retry = RetryEditor(FieldShape("item_retry", title="Item retry"))
        for child in self.retry.widget.findChildren(QWidget):
            if child.objectName().startswith("retry_"):  # apart from the node's own retry
                child.setObjectName(f"item_{child.objectName()}")
        self.retry.committed.connect(self.commit)
        form.addRow(QLabel("Retries of one item"))
        form.addRow(self.retry.widget)

    def value(self) -> Any:
        """Only what differs from the defaults, so a small edit is a small diff; all defaults:
        the field's default, which the form leaves out of the config."""
        policy: dict[str, Any] = {}
        if self.on_error.currentData() != "fail":
            policy["on_error"] = self.on_error.currentData()
        retry = self.retry.value()
        if RetryPolicy.model_validate(retry) != RetryPolicy():
            policy["retry"] = retry
        return policy or copy.deepcopy(self.shape.default)

    def show_value(self, value: Any) -> None:
        data = value if isinstance(value, dict) else {}
        policy = ItemPolicy.model_validate(data)
        self.on_error.setCurrentIndex(max(self.on_error.findData(policy.on_error), 0))
        self.retry.show_value(data.get("retry"))


def item_policy_editors(kind: str) -> dict[str, Callable[[FieldShape], FieldEditor]]:
    """The item policy form for kinds whose config has an `item_policy` (map)."""
    return {"item_policy": ItemPolicyEditor} if kind == "map" else {}
