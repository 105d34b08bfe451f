"""Re-emits engine run events as a Qt signal delivered on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine.trace.events import RunEvent


class RunEventBridge(QObject):
    """Pass `publish` to `Engine.run(subscribers=[...])`; connect views to `run_event`.

    Safe from any thread: a publish off the GUI thread is queued onto it.
    """

    run_event = Signal(object)
    _forward = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._forward.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def publish(self, event: RunEvent) -> None:
        self._forward.emit(event)

    @Slot(object)
    def _deliver(self, event: RunEvent) -> None:
        self.run_event.emit(event)
