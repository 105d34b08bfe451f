"""Run states painted on nodes, coalesced: however fast run events arrive, queued states
are applied together at most once per frame."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, QTimer

from desktop.canvas.node_item import NodeItem

FRAME_TICK_MS = 16


class RunStates(QObject):
    def __init__(self, items: Mapping[str, NodeItem], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items = items
        self.pending: dict[str, str | None] = {}
        self.flushes = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_TICK_MS)
        self._timer.timeout.connect(self.flush)

    def set(self, node_id: str, state: str | None) -> None:
        self.pending[node_id] = state
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        pending, self.pending = self.pending, {}
        if pending:
            self.flushes += 1
        for node_id, state in pending.items():
            item = self.items.get(node_id)
            if item is not None:
                item.set_run_state(state)

    def drop_pending(self) -> None:
        self.pending.clear()

    def clear(self) -> None:
        self.pending.clear()
        for item in self.items.values():
            item.set_run_state(None)
