"""The store subscriber: buffers a run's events and commits them in batches.

Durable events (node results, run end) are committed before the run moves on: the commit
is queued on the event loop at emit time, ahead of the tasks of any dependant node, so all
results finishing in one loop pass share one commit (group commit) and no dependant starts
before its inputs are on disk. Tokens never cost a commit each.

A failed write stops the run (`on_error`): nothing more is written for it, and the run
ends failed with the store's error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType

from engine.store.protocol import RunStore
from engine.trace.events import RunEvent

log = logging.getLogger(__name__)

MAX_BUFFER = 256


class StoreRecorder:
    def __init__(self, store: RunStore | None) -> None:
        self.store = store
        self.buffer: list[RunEvent] = []
        self._scheduled = False
        self.on_error: Callable[[BaseException], None] | None = None
        """Told when a write fails (disk full, another process writing the run): the
        engine stops the run, since what it does next could not be recorded."""
        self.failed: BaseException | None = None

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

    def commit(self) -> None:
        """Flush now; if the store cannot record, the caller must not go on (the run is
        being stopped), so this raises CancelledError."""
        self.flush()
        if self.failed is not None:
            raise asyncio.CancelledError

    def flush(self) -> None:
        if self.store is None or not self.buffer or self.failed is not None:
            return
        batch, self.buffer = self.buffer, []
        try:
            self.store.append_events(batch)
        except Exception as exc:
            self.failed = exc
            log.error("the run store could not record %d events: %s", len(batch), exc)
            if self.on_error is None:
                raise
            self.on_error(exc)

    def __enter__(self) -> StoreRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()
