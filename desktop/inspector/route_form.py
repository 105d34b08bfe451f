"""The llm node's route policy as a form: pinned model or auto, tier, sensitivity, and the
escalation (triggers, threshold, and the ladder of models as an ordered list)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.inspector.fields import FieldEditor, FieldShape
from desktop.inspector.policy_form import _GroupEditor
from desktop.run.ops import EngineOp, OpChanges
from engine.routing.policy import RoutePolicy, Sensitivity
from engine.workflow.plain_errors import plain_errors

log = logging.getLogger(__name__)

AUTO_LADDER = "auto"
SENSITIVITIES: tuple[Sensitivity, ...] = ("public", "internal", "confidential", "local_only")


class ModelIds(QObject):
    """The model ids the app knows (installed local models, configured endpoints), listed in
    a worker thread; `changed` when a listing arrives."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.listed = False

    def list_once(self) -> None:
        """List the models the first time a list of them opens."""
        if not self.listed:
            self.listed = True
            self.refresh()

    def refresh(self) -> None:
        op = EngineOp.threaded(_list_model_ids, OpChanges())
        op.success(self._on_listed).failure(lambda exc: log.info("no model list: %s", exc))
        op.run()

    def _on_listed(self, ids: list[str]) -> None:
        self.ids = ids
        self.changed.emit()


def _list_model_ids() -> list[str]:
    from engine.providers.remote import endpoint
    from local_models.catalog import ModelCatalog

    ids = [e.model_id for e in ModelCatalog().list()]
    for item in endpoint.load_endpoints():
        ids.extend(item.qualified(m) for m in item.models)
    return sorted(set(ids))


_models: ModelIds | None = None


def model_ids() -> ModelIds:
    """The app's one list (made on first use, on the GUI thread)."""
    global _models
    if _models is None:
        _models = ModelIds()
    return _models


def _spin(name: str, off: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setObjectName(name)
    spin.setRange(0, 1)
    spin.setDecimals(2)
    spin.setSingleStep(0.05)
    spin.setSpecialValueText(off)  # 0 never escalates: it means "not set"
    spin.setKeyboardTracking(False)
    return spin


class RouteEditor(_GroupEditor):
    """Edits `route`; keys the form does not show (fallback chain, approval, calibration,
    agreement, verifier…) are kept as they were."""

    def __init__(self, shape: FieldShape, models: ModelIds) -> None:
        super().__init__(shape, QWidget())
        self.models = models
        self.shown: dict[str, Any] = {}
        form = QFormLayout(self.widget)
        form.setContentsMargins(0, 0, 0, 0)
        self.model = self._combo("route_model", editable=True)
        self.tier = self._combo("route_tier", ["auto", "routine", "hard"])
        self.sensitivity = self._combo("route_sensitivity", list(SENSITIVITIES))
        form.addRow("Model", self.model)
        form.addRow("Tier", self.tier)
        form.addRow("Sensitivity", self.sensitivity)

        self.escalate = QCheckBox("Escalate weak answers")
        self.escalate.setObjectName("route_escalate")
        self.escalate.setToolTip("Send an answer that is not good enough to another model.")
        form.addRow(self.escalate)
        self.on_schema = QCheckBox("when the output fails its schema")
        self.on_schema.setObjectName("route_on_schema_failure")
        self.on_error = QCheckBox("when a local model fails")
        self.on_error.setToolTip("A local model errors or times out.")
        self.on_error.setObjectName("route_on_local_error")
        self.confidence = _spin("route_min_confidence", "off")
        form.addRow(self.on_schema)
        form.addRow(self.on_error)
        form.addRow("Confidence below", self.confidence)

        self.ladder_mode = self._combo("route_ladder_mode", [])
        self.ladder_mode.addItem("auto", AUTO_LADDER)
        self.ladder_mode.addItem("these models, in order", "list")
        self.ladder_mode.setToolTip(
            "auto: bigger local models, then the best remote one; or the models listed below"
        )
        form.addRow("Escalate to", self.ladder_mode)
        self.ladder = QListWidget()
        self.ladder.setObjectName("route_ladder")
        self.ladder.setMaximumHeight(110)
        form.addRow(self.ladder)
        self.rung_confidence = _spin("route_rung_confidence", "as above")
        form.addRow("Step threshold", self.rung_confidence)
        self.rung_confidence.setToolTip(
            "The selected step's answer below this goes on to the next step."
        )
        self.add_model = self._combo("route_add_model", editable=True)
        self.add_model.lineEdit().setPlaceholderText("model id")
        buttons = QWidget()
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QToolButton] = {}
        for key, text in (("add", "Add"), ("remove", "Remove"), ("up", "Up"), ("down", "Down")):
            button = QToolButton()
            button.setText(text)
            button.setObjectName(f"route_ladder_{key}")
            row.addWidget(button)
            self.buttons[key] = button
        add_row = QWidget()
        column = QVBoxLayout(add_row)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.add_model)
        column.addWidget(buttons)
        form.addRow(add_row)

        self.model.activated.connect(lambda _i: self.commit())
        self.model.lineEdit().editingFinished.connect(self._on_model_typed)
        self.tier.activated.connect(lambda _i: self.commit())
        self.sensitivity.activated.connect(lambda _i: self.commit())
        self.ladder_mode.activated.connect(self._on_ladder_mode)
        for check in (self.escalate, self.on_schema, self.on_error):
            check.toggled.connect(lambda _on: self.commit())
        self.confidence.valueChanged.connect(lambda _v: self.commit())
        self.rung_confidence.valueChanged.connect(self._on_rung_confidence)
        self.ladder.currentRowChanged.connect(self._show_rung)
        self.buttons["add"].clicked.connect(self._on_add)
        self.buttons["remove"].clicked.connect(self._on_remove)
        self.buttons["up"].clicked.connect(lambda: self._move(-1))
        self.buttons["down"].clicked.connect(lambda: self._move(1))
        models.changed.connect(self._fill_models)
        self._fill_models()

    def _combo(self, name: str, items: list[str] | None = None, editable: bool = False) -> Any:
        combo = _ModelCombo(self.models.list_once) if editable else QComboBox()
        combo.setObjectName(name)
        combo.setEditable(editable)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(10)  # long model ids must not widen the inspector
        for item in items or []:
            combo.addItem(item, item)
        return combo

    def _fill_models(self) -> None:
        for combo, first in ((self.model, ["auto"]), (self.add_model, [])):
            text = combo.currentText()
            blocked = combo.blockSignals(True)
            combo.clear()
            combo.addItems([*first, *self.models.ids])
            combo.setCurrentText(text)
            combo.blockSignals(blocked)

    # -- view ----------------------------------------------------------------------------

    def show_value(self, value: Any) -> None:
        self.shown = copy.deepcopy(value) if isinstance(value, dict) else {}
        route = RoutePolicy.model_validate(self.shown)
        self.model.setCurrentText(route.model)
        self.tier.setCurrentIndex(max(self.tier.findData(route.tier), 0))
        self.sensitivity.setCurrentIndex(max(self.sensitivity.findData(route.sensitivity), 0))
        escalation = route.escalate
        self.escalate.setChecked(escalation is not None)
        self.on_schema.setChecked(escalation.on_schema_failure if escalation else True)
        self.on_error.setChecked(escalation.on_local_error if escalation else True)
        self.confidence.setValue((escalation.min_confidence or 0) if escalation else 0)
        ladder = escalation.ladder() if escalation else None
        self.ladder_mode.setCurrentIndex(0 if ladder is None else 1)
        row = self.ladder.currentRow()
        self.ladder.clear()
        for step in ladder or []:
            self._add_rung(step.model, step.min_confidence)
        self.ladder.setCurrentRow(min(row, self.ladder.count() - 1))
        self._show_rung(self.ladder.currentRow())
        self._enable()

    def _enable(self) -> None:
        on = self.escalate.isChecked()
        listed = on and self.ladder_mode.currentData() == "list"
        for widget in (self.on_schema, self.on_error, self.confidence, self.ladder_mode):
            widget.setEnabled(on)
        for widget in (self.ladder, self.add_model, self.rung_confidence, *self.buttons.values()):
            widget.setEnabled(listed)

    def _add_rung(self, model: str, confidence: float | None) -> None:
        item = QListWidgetItem(_rung_text(model, confidence))
        item.setData(256, (model, confidence))
        self.ladder.addItem(item)

    def _rungs(self) -> list[tuple[str, float | None]]:
        return [self.ladder.item(i).data(256) for i in range(self.ladder.count())]

    def _show_rung(self, row: int) -> None:
        blocked = self.rung_confidence.blockSignals(True)
        rungs = self._rungs()
        self.rung_confidence.setValue((rungs[row][1] or 0) if 0 <= row < len(rungs) else 0)
        self.rung_confidence.blockSignals(blocked)

    # -- edits ---------------------------------------------------------------------------

    def _on_ladder_mode(self, _index: int) -> None:
        if self.ladder_mode.currentData() == "list" and not self._rungs():
            self._enable()  # nothing to save until the first model is added
            self.add_model.setFocus()
            return
        self.commit()

    def _on_model_typed(self) -> None:
        if self.model.currentText().strip() != str(self.shown.get("model", "auto")):
            self.commit()

    def _on_add(self) -> None:
        model = self.add_model.currentText().strip()
        if model:
            self._add_rung(model, None)
            self.ladder.setCurrentRow(self.ladder.count() - 1)
            self.commit()

    def _on_remove(self) -> None:
        row = self.ladder.currentRow()
        if row >= 0:
            self.ladder.takeItem(row)
            self.commit()

    def _move(self, step: int) -> None:
        row = self.ladder.currentRow()
        if row >= 0 and 0 <= row + step < self.ladder.count():
            item = self.ladder.takeItem(row)
            self.ladder.insertItem(row + step, item)
            self.ladder.setCurrentRow(row + step)
            self.commit()

    def _on_rung_confidence(self, value: float) -> None:
        item = self.ladder.currentItem()
        if item is not None:
            model, _ = item.data(256)
            item.setData(256, (model, value or None))
            item.setText(_rung_text(model, value or None))
            self.commit()

    def value(self) -> Any:
        data = copy.deepcopy(self.shown)
        data["model"] = self.model.currentText().strip() or "auto"
        data["tier"] = self.tier.currentData()
        data["sensitivity"] = self.sensitivity.currentData()
        if self.escalate.isChecked():
            escalate = dict(data.get("escalate") or {})
            escalate["on_schema_failure"] = self.on_schema.isChecked()
            escalate["on_local_error"] = self.on_error.isChecked()
            escalate["min_confidence"] = self.confidence.value() or None
            if self.ladder_mode.currentData() == AUTO_LADDER:
                escalate["to"] = "auto"
            else:
                escalate["to"] = [
                    m if c is None else {"model": m, "min_confidence": c} for m, c in self._rungs()
                ]
                if not escalate["to"]:
                    raise ValueError("add at least one model to escalate to, or pick auto")
            data["escalate"] = escalate
        else:
            data.pop("escalate", None)
        try:
            route = RoutePolicy.model_validate(data)
        except ValidationError as exc:
            loc, message = plain_errors(exc)[0]
            raise ValueError(f"{'.'.join(map(str, loc))}: {message}") from None
        dumped = route.model_dump(mode="json", exclude_defaults=True)
        if route.escalate is not None and "escalate" not in dumped:
            dumped["escalate"] = {}  # escalation on with every default
        return dumped or RoutePolicy().model_dump(mode="json")

    def commit(self) -> None:
        self._enable()
        super().commit()
        if not self.valid():  # refused: show the route as it still is
            self.set_value(self.shown)


class _ModelCombo(QComboBox):
    """A combo of model ids that asks for the list when it opens."""

    def __init__(self, on_open: Callable[[], None]) -> None:
        super().__init__()
        self.on_open = on_open

    def showPopup(self) -> None:
        self.on_open()
        super().showPopup()


def _rung_text(model: str, confidence: float | None) -> str:
    return model if confidence is None else f"{model}  (below {confidence:.2f} goes on)"


def route_editors(
    kind: str, models: ModelIds | None = None
) -> dict[str, Callable[[FieldShape], FieldEditor]]:
    """The route form for kinds whose config has a `route` policy (llm)."""
    if kind != "llm":
        return {}
    ids = models if models is not None else model_ids()
    return {"route": lambda shape: RouteEditor(shape, ids)}
