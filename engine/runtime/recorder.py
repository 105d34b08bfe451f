"""The store subscriber: buffers a run's events and commits them in batches.

Durable events (node results, run end) are committed before the run moves on: the commit
is queued on the event loop at emit time, ahead of the tasks of any dependant node, so all
results finishing in one loop pass share one commit (group commit) and no dependant starts
before its inputs are on disk. Tokens never cost a commit each.
"""

from __future__ import annotations

import asyncio
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
        self._scheduled = False

    def __call__(self, event: RunEvent) -> None:
        if self.store is None:
            return
        self.buffer.append(event)
        if len(self.buffer) >= MAX_BUFFER:
            self.flush()
        elif event.durable and not self._scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._scheduled = True
            loop.call_soon(self._flush_scheduled)

    def _flush_scheduled(self) -> None:
        self._scheduled = False
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
