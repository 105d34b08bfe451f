"""All asyncio/Qt glue: the qasync loop the app runs on, and starting coroutines from
GUI code. Nothing else in `desktop` imports qasync."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)
T = TypeVar("T")

_tasks: set[asyncio.Task[Any]] = set()


def install_loop(app: QApplication, *, already_running: bool = False) -> Any:
    """Make a qasync loop on `app` the current asyncio loop.

    `already_running=True` is for a Qt event loop someone else spins (pytest-qt): the loop
    counts as running so tasks make progress whenever Qt processes events.
    """
    loop: Any = qasync.QEventLoop(app, already_running=already_running)
    asyncio.set_event_loop(loop)
    return loop


def release_loop(loop: Any) -> None:
    """Undo `install_loop(..., already_running=True)`: cancel leftovers and close.

    `loop.stop()` is avoided on purpose: it calls `QApplication.exit()`, which leaves Qt's
    quit flag set so every later nested `QEventLoop.exec()` returns at once.
    """
    for task in list(_tasks):
        task.cancel()
    _tasks.clear()
    asyncio.events._set_running_loop(None)
    loop._QEventLoop__is_running = False  # qasync's flag; stop() would also quit Qt
    loop.close()
    asyncio.set_event_loop(None)


def run_app(app: QApplication) -> int:
    """Run the Qt application on a qasync loop until the last window closes."""
    loop = install_loop(app)
    with loop:
        code = loop.run_forever()
    return int(code or 0)


def loop_running() -> bool:
    """Whether a loop runs to `spawn` on (the app's; a test's qasync loop)."""
    return asyncio._get_running_loop() is not None


def spawn(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Start `coro` on the current loop; failures are logged, never silently dropped."""
    task = asyncio.get_event_loop().create_task(coro)
    _tasks.add(task)

    def done(t: asyncio.Task[T]) -> None:
        _tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("background task failed", exc_info=t.exception())

    task.add_done_callback(done)
    return task
