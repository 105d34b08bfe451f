"""The inspector's Run tab: one node of the current (or replayed) run — inputs, output
(live tokens while streaming), attempts, a map's items (done, failed, and where each ran:
here or which cluster worker), routing, tool calls, approvals, other events."""

from __future__ import annotations

import json
import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.run.badges import RUN_COLORS
from desktop.run.qt import named
from engine.trace.events import MapItemDone
from engine.trace.fold import NodeRun, RunState

SECTIONS = {
    "routing_decision": "Routing",
    "model_call": "Routing",
    "provider_retry": "Routing",
    "approval_requested": "Approvals",
    "approval_decided": "Approvals",
    "node_waiting": "Approvals",
    "node_log": "Log",
}
HANDLED = frozenset({"node_queued", "node_started", "node_token", "node_retrying", "map_item"})
HANDLED_TERMINAL = frozenset({"node_succeeded", "node_failed", "node_cached", "node_skipped"})


def pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=repr)


def add_value(parent: QTreeWidgetItem, key: str, value: Any, depth: int = 0) -> None:
    """A tree row per key; dicts and lists open into children (bounded depth)."""
    if isinstance(value, dict) and value and depth < 4:
        item = QTreeWidgetItem(parent, [key, f"{{{len(value)}}}"])
        for k, v in value.items():
            add_value(item, str(k), v, depth + 1)
    elif isinstance(value, list) and value and depth < 4:
        item = QTreeWidgetItem(parent, [key, f"[{len(value)}]"])
        for i, v in enumerate(value[:100]):
            add_value(item, str(i), v, depth + 1)
    else:
        text = value if isinstance(value, str) else json.dumps(value, default=repr)
        QTreeWidgetItem(parent, [key, text[:500]]).setToolTip(1, text[:4000])


class NodeRunView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = RunState()
        self.node_id: str | None = None
        self.now: float | None = None
        self._details_key: tuple[str | None, int] = (None, -1)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.header)
        split = QSplitter(Qt.Orientation.Vertical)
        self.inputs = named(QPlainTextEdit(readOnly=True), "run_inputs")
        self.output = named(QPlainTextEdit(readOnly=True), "run_output")
        for box in (self.inputs, self.output):
            box.setFont(mono)
            box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.details = named(QTreeWidget(), "run_details")
        self.details.setHeaderLabels(["", ""])
        self.details.setHeaderHidden(True)
        self.details.setColumnWidth(0, 150)
        for title, widget in (
            ("Inputs", self.inputs),
            ("Output", self.output),
            ("Attempts, routing, tools, approvals", self.details),
        ):
            page = QWidget()
            column = QVBoxLayout(page)
            column.setContentsMargins(0, 4, 0, 0)
            column.addWidget(QLabel(f"<b>{title}</b>"))
            column.addWidget(widget)
            split.addWidget(page)
        split.setSizes([100, 200, 220])
        layout.addWidget(split, 1)
        self.show_node(self.state, None)

    def show_node(self, state: RunState, node_id: str | None, now: float | None = None) -> None:
        self.state, self.node_id, self.now = state, node_id, now
        self._details_key = (None, -1)
        self.output.clear()
        self.refresh(None)

    def refresh(self, changed: set[str] | None) -> None:
        if changed is not None and self.node_id not in changed:
            return
        node = self.state.nodes.get(self.node_id or "")
        if self.node_id is None or node is None:
            text = "Select a node to see its run." if self.node_id is None else "Not run yet."
            self.header.setText(text if self.state.started else "No run yet. Press Run (F5).")
            self.inputs.clear()
            self.output.clear()
            self.details.clear()
            return
        self._header(node)
        _set_text(self.inputs, pretty(node.inputs) if node.inputs else "")
        self._output(node)
        key = (self.node_id, sum(1 for e in node.events if e.type != "node_token"))
        if key != self._details_key:
            self._details_key = key
            self._details(node)

    def _header(self, node: NodeRun) -> None:
        now = self.now if self.now is not None else time.time()
        color = RUN_COLORS.get(node.state or "", "#8a94a3")
        parts = [f"<b>{node.node_id}</b> <span style='color:{color}'>● {node.state}</span>"]
        elapsed = node.elapsed(now)
        if elapsed is not None:
            parts.append(f"{elapsed:.2f}s")
        if node.attempt > 1:
            parts.append(f"attempt {node.attempt}")
        if node.model:
            parts.append(f"{'remote' if node.remote else 'local'} model <i>{node.model}</i>")
        items = _map_items(node)
        if items:
            total = node.inputs.get("items") if node.inputs else None
            of = f"/{len(total)}" if isinstance(total, list) else ""
            parts.append(f"{len(items)}{of} items")
        if node.tokens:
            parts.append(f"{node.prompt_tokens}+{node.completion_tokens} tokens")
        if node.cost_usd:
            parts.append(f"${node.cost_usd:.4f}")
        html = " · ".join(parts)
        if node.error:
            html += f"<br><span style='color:#e0413a'>{_escape(node.error)}</span>"
        self.header.setText(html)

    def _output(self, node: NodeRun) -> None:
        if node.outputs is None and node.state in ("streaming", "running", "retrying"):
            text = node.stream
        elif node.outputs is not None:
            outputs = node.outputs
            text = pretty(next(iter(outputs.values())) if len(outputs) == 1 else outputs)
        else:
            text = node.stream
        current = self.output.toPlainText()
        if text == current:
            return
        if current and text.startswith(current):
            cursor = self.output.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(text[len(current) :])
        else:
            self.output.setPlainText(text)

    def _details(self, node: NodeRun) -> None:
        self.details.clear()
        sections: dict[str, QTreeWidgetItem] = {}

        def section(name: str) -> QTreeWidgetItem:
            if name not in sections:
                sections[name] = QTreeWidgetItem(self.details, [name, ""])
                sections[name].setExpanded(True)
            return sections[name]

        for a in node.attempts:
            took = f"{a.ended - a.started:.2f}s" if a.ended is not None else "…"
            item = QTreeWidgetItem(section("Attempts"), [f"#{a.number} {a.status}", took])
            if a.error:
                add_value(item, f"error [{a.error_class or 'error'}]", a.error)
            if a.retry_delay_s is not None:
                add_value(item, "retry wait", f"{a.retry_delay_s:.2f}s")
            item.setExpanded(True)
        if items := _map_items(node):
            failed = sum(1 for e in items.values() if not e.ok)
            counts = f"{len(items)} done" + (f" · {failed} failed" if failed else "")
            top = QTreeWidgetItem(section("Map items"), ["items", counts])
            places: dict[str, int] = {}
            for e in items.values():
                place = f"on {e.worker}" if e.worker else "here"
                places[place] = places.get(place, 0) + 1
            for place, count in sorted(places.items()):
                QTreeWidgetItem(top, [place, f"{count} items"])
            top.setExpanded(True)
        for event in node.events:
            if event.type in HANDLED or event.type in HANDLED_TERMINAL:
                continue
            name = SECTIONS.get(event.type)
            if name is None:
                name = (
                    "Tool calls" if event.type.startswith(("tool_", "agent_")) else "Other events"
                )
            data = event.payload()
            item = QTreeWidgetItem(section(name), [event.type, _summary(event.type, data)])
            for key, value in data.items():
                if value not in (None, "", [], {}):
                    add_value(item, key, value)


def _map_items(node: NodeRun) -> dict[int, MapItemDone]:
    """The map's finished items by index (a later attempt's record of an index wins)."""
    return {e.index: e for e in node.events if isinstance(e, MapItemDone)}


def _summary(kind: str, data: dict[str, Any]) -> str:
    if kind == "routing_decision":
        return f"{data.get('phase', '')}: {data.get('chosen')} — {data.get('reason', '')}"
    if kind == "model_call":
        where = "remote" if data.get("remote") else "local"
        return f"{data.get('model')} ({where}) {data.get('outcome')}"
    if kind == "approval_decided":
        return f"{data.get('decision')} by {data.get('decider')}"
    if kind.startswith("tool_"):
        return str(data.get("tool", ""))
    return str(data.get("message") or data.get("title") or "")


def _set_text(box: QPlainTextEdit, text: str) -> None:
    if box.toPlainText() != text:
        box.setPlainText(text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
