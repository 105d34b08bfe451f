"""One path from the UI to the engine, after Anki's CollectionOp: an `EngineOp` runs work on
the qasync loop (blocking work in a thread), calls back on the GUI thread, then announces
what changed on `op_hub().changed` so each view refreshes only what it shows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop.async_loop import spawn

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OpChanges:
    """What an operation may have changed; views refresh on the parts they show."""

    runs: bool = False
    approvals: bool = False
    models: bool = False
    endpoints: bool = False
    datasets: bool = False
    evaluations: bool = False


class OpHub(QObject):
    changed = Signal(object)
    """An `OpChanges`, after every operation (successful or not)."""


_hub: OpHub | None = None


def op_hub() -> OpHub:
    global _hub
    if _hub is None:
        _hub = OpHub()
    return _hub


class EngineOp(Generic[T]):
    """`EngineOp(work, OpChanges(runs=True)).success(cb).failure(cb).run()`.

    `work` is a coroutine function; `EngineOp.threaded` runs a blocking function in a worker
    thread (model import, benchmark) so the GUI keeps painting, `EngineOp.direct` a quick
    one (a store query) on the GUI thread.
    """

    def __init__(self, work: Callable[[], Awaitable[T]], changes: OpChanges) -> None:
        self._work = work
        self._changes = changes
        self._success: Callable[[T], Any] | None = None
        self._failure: Callable[[BaseException], Any] | None = None

    @classmethod
    def threaded(cls, fn: Callable[[], T], changes: OpChanges) -> EngineOp[T]:
        return cls(lambda: asyncio.to_thread(fn), changes)

    @classmethod
    def direct(cls, fn: Callable[[], T], changes: OpChanges) -> EngineOp[T]:
        async def work() -> T:
            return fn()

        return cls(work, changes)

    def success(self, callback: Callable[[T], Any]) -> EngineOp[T]:
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], Any]) -> EngineOp[T]:
        self._failure = callback
        return self

    def run(self) -> asyncio.Task[None]:
        return spawn(self._run())

    async def _run(self) -> None:
        try:
            result = await self._work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self._failure is None:
                log.exception("operation failed")
            else:
                self._failure(exc)
            op_hub().changed.emit(self._changes)
            return
        if self._success is not None:
            self._success(result)
        op_hub().changed.emit(self._changes)
