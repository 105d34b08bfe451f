"""Typed editors for a node's policy: retry (attempts, delays, backoff, error classes) and
fallback (another kind, config overrides), used by the inspector's Policy form."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.inspector.fields import FieldEditor, FieldShape
from engine.errors import RETRY_CLASSES
from engine.workflow.model import RetryPolicy

_RETRY = RetryPolicy.model_fields


def _double(low: float, high: float, step: float, suffix: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(2)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)
    return spin


class _GroupEditor(FieldEditor):
    """An editor made of several child widgets; showing a value signals none of them."""

    def children_widgets(self) -> Iterable[QWidget]:
        return self.widget.findChildren(QWidget)

    def set_value(self, value: Any) -> None:
        blocked = [(w, w.blockSignals(True)) for w in self.children_widgets()]
        try:
            self.show_value(value)
        finally:
            for widget, was in blocked:
                widget.blockSignals(was)
        self.widget.setStyleSheet("")


class RetryEditor(_GroupEditor):
    """Attempts, first delay, backoff, longest delay, jitter and the error classes retried."""

    def __init__(self, shape: FieldShape) -> None:
        super().__init__(shape, QWidget())
        form = QFormLayout(self.widget)
        form.setContentsMargins(0, 0, 0, 0)
        self.attempts = QSpinBox()
        self.attempts.setRange(1, 100)
        self.attempts.setKeyboardTracking(False)
        self.delay = _double(0, 3600, 0.5, " s")
        self.backoff = _double(1, 10, 0.5, " x")
        self.max_delay = _double(0, 3600, 5, " s")
        self.jitter = _double(0, 1, 0.05)
        rows: list[tuple[str, str, QSpinBox | QDoubleSpinBox]] = [
            ("Attempts", "max_attempts", self.attempts),
            ("First delay", "initial_delay_s", self.delay),
            ("Backoff", "backoff", self.backoff),
            ("Longest delay", "max_delay_s", self.max_delay),
            ("Jitter", "jitter", self.jitter),
        ]
        for label, name, spin in rows:
            spin.setObjectName(f"retry_{name}")
            spin.setToolTip(_RETRY[name].description or "")
            spin.valueChanged.connect(lambda _v: self.commit())
            form.addRow(label, spin)
        classes = QWidget()
        grid = QGridLayout(classes)
        grid.setContentsMargins(0, 0, 0, 0)
        self.classes: dict[str, QCheckBox] = {}
        for i, name in enumerate(RETRY_CLASSES):
            check = QCheckBox(name)
            check.setObjectName(f"retry_on_{name}")
            check.toggled.connect(lambda _on: self.commit())
            grid.addWidget(check, i // 2, i % 2)
            self.classes[name] = check
        classes.setToolTip(_RETRY["retry_on"].description or "")
        form.addRow(QLabel("Retry on"))
        form.addRow(classes)
        self.extra: list[str] = []

    def value(self) -> Any:
        retry_on = [n for n, c in self.classes.items() if c.isChecked()] + self.extra
        return {
            "max_attempts": self.attempts.value(),
            "initial_delay_s": self.delay.value(),
            "backoff": self.backoff.value(),
            "max_delay_s": self.max_delay.value(),
            "jitter": self.jitter.value(),
            "retry_on": retry_on,
        }

    def show_value(self, value: Any) -> None:
        retry = RetryPolicy.model_validate(value or {})
        self.attempts.setValue(retry.max_attempts)
        self.delay.setValue(retry.initial_delay_s)
        self.backoff.setValue(retry.backoff)
        self.max_delay.setValue(retry.max_delay_s)
        self.jitter.setValue(retry.jitter)
        for name, check in self.classes.items():
            check.setChecked(name in retry.retry_on)
        self.extra = [n for n in retry.retry_on if n not in self.classes]  # kept, not shown


class FallbackEditor(_GroupEditor):
    """Off, or another node kind (or the same) with config overrides as JSON."""

    def __init__(self, shape: FieldShape, kinds: list[str]) -> None:
        super().__init__(shape, QWidget())
        form = QFormLayout(self.widget)
        form.setContentsMargins(0, 0, 0, 0)
        self.enabled = QCheckBox("Try once more another way")
        self.enabled.setObjectName("fallback_enabled")
        self.enabled.setToolTip("When retries are exhausted, run this alternative once.")
        self.kind = QComboBox()
        self.kind.setObjectName("fallback_kind")
        self.kind.addItem("(this node's kind)", None)
        for name in kinds:
            self.kind.addItem(name, name)
        self.config = QPlainTextEdit()
        self.config.setObjectName("fallback_config")
        self.config.setPlaceholderText('Config overrides as JSON, e.g. {"model": "…"}')
        self.config.setMaximumHeight(90)
        self.config.setTabChangesFocus(True)
        form.addRow(self.enabled)
        form.addRow("Kind", self.kind)
        form.addRow("Overrides", self.config)
        self.enabled.toggled.connect(lambda _on: self.commit())
        self.kind.activated.connect(lambda _i: self.commit())
        self.config.installEventFilter(self)
        self._shown_config = ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        focus_out = watched is self.config and event.type() == QEvent.Type.FocusOut
        if focus_out and self.config.toPlainText().strip() != self._shown_config:
            self.commit()
        return False

    def value(self) -> Any:
        if not self.enabled.isChecked():
            return None
        text = self.config.toPlainText().strip()
        try:
            config = json.loads(text) if text else {}
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"the overrides are not valid JSON ({exc.msg}, line {exc.lineno})"
            ) from None
        if not isinstance(config, dict):
            raise ValueError('the overrides should be a JSON object like {"model": "…"}')
        result: dict[str, Any] = {"config": config} if config else {}
        if self.kind.currentData() is not None:
            result["kind"] = self.kind.currentData()
        return result

    def show_value(self, value: Any) -> None:
        on = isinstance(value, dict)
        data = value if isinstance(value, dict) else {}
        self.enabled.setChecked(on)
        index = self.kind.findData(data.get("kind"))
        if index < 0 and data.get("kind"):
            self.kind.addItem(str(data["kind"]), data["kind"])
            index = self.kind.count() - 1
        self.kind.setCurrentIndex(max(index, 0))
        config = data.get("config") or {}
        self._shown_config = json.dumps(config, indent=2, ensure_ascii=False) if config else ""
        self.config.setPlainText(self._shown_config)
        self.kind.setEnabled(on)
        self.config.setEnabled(on)


def policy_editors(kinds: list[str]) -> dict[str, Callable[[FieldShape], FieldEditor]]:
    """The typed editors of NodePolicy fields the schema form would show as JSON."""
    return {
        "retry": RetryEditor,
        "fallback": lambda shape: FallbackEditor(shape, kinds),
    }


class JsonHatch(QWidget):
    """The "Edit as JSON" escape hatch: the whole value as text, for what the form cannot express.
    `submitted(value)` when the text parses; `refused(reason)` when it does not."""

    submitted = Signal(object)
    refused = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.toggle = QPushButton("Edit as JSON")
        self.toggle.setObjectName(f"{name}_json_toggle")
        self.toggle.setCheckable(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName(f"{name}_json")
        self.text.setMaximumHeight(160)
        self.apply = QPushButton("Apply JSON")
        self.apply.setObjectName(f"{name}_json_apply")
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.text)
        layout.addWidget(self.apply, 0, Qt.AlignmentFlag.AlignRight)
        self.text.hide()
        self.apply.hide()
        self.toggle.toggled.connect(self._on_toggled)
        self.apply.clicked.connect(self._on_apply)

    def set_value(self, value: Any) -> None:
        self.text.setPlainText(json.dumps(value, indent=2, ensure_ascii=False))

    def _on_toggled(self, on: bool) -> None:
        self.text.setVisible(on)
        self.apply.setVisible(on)

    def _on_apply(self) -> None:
        try:
            value = json.loads(self.text.toPlainText())
        except json.JSONDecodeError as exc:
            self.refused.emit(f"not valid JSON ({exc.msg}, line {exc.lineno})")
            return
        self.submitted.emit(value)
