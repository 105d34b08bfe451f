"""The store subscriber: buffers a run's events and commits them in batches, at the latest
with each durable event (node results, run end), so tokens never cost a commit each."""

from __future__ import annotations

import logging
from types import TracebackType

from engine.runtime.events import RunEvent
from engine.store.protocol import RunStore

log = logging.getLogger(__name__)

MAX_BUFFER = 256


class StoreRecorder:
    def __init__(self, store: RunStore | None) -> None:
        self.store = store
        self.buffer: list[RunEvent] = []

    def __call__(self, event: RunEvent) -> None:
        if self.store is None:
            return
        self.buffer.append(event)
        if event.durable or len(self.buffer) >= MAX_BUFFER:
            self.flush()

    def flush(self) -> None:
        if self.store is None or not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        self.store.append_events(batch)

    def __enter__(self) -> StoreRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()
