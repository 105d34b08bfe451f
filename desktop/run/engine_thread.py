"""The app's engine loop: an asyncio loop on a thread of its own where runs and evaluations
execute, so their store writes (which may wait seconds for another process's write lock),
cache lookups, approvals and lease renewals never stall the window. The GUI awaits a job
with `EngineThread.run`; stopping the awaiting task stops the job and waits until it has
ended (its cancellation is recorded before the GUI hears of it). Work that must touch Qt
(an approval dialog) hops back with `on_gui`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
A = TypeVar("A")


class EngineThread:
    """Started on first use; `close` stops it (cancelling whatever still runs)."""

    def __init__(self, name: str = "interlock-engine") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(
                    target=self._serve, args=(loop, ready), name=self._name, daemon=True
                )
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def _serve(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Await `make()` run on the engine loop (`make` is called there, so whatever it
        builds belongs to that loop). Cancelling the caller cancels the job and returns
        only once the job has ended."""
        loop = self.loop
        done: concurrent.futures.Future[T] = concurrent.futures.Future()
        handle: list[asyncio.Task[T]] = []

        def start() -> None:
            try:
                task = loop.create_task(make())
            except BaseException as exc:
                done.set_exception(exc)
                return
            handle.append(task)
            self._tasks.add(task)
            task.add_done_callback(lambda t: self._finished(t, done))

        loop.call_soon_threadsafe(start)
        waiter = asyncio.wrap_future(done)
        try:
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            if not waiter.done():
                # FIFO on the engine loop: `start` has run by the time this does
                loop.call_soon_threadsafe(lambda: [t.cancel() for t in handle])
                with contextlib.suppress(BaseException):
                    await waiter
            raise

    def _finished(self, task: asyncio.Task[T], done: concurrent.futures.Future[T]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            done.cancel()
            return
        exc = task.exception()
        if exc is not None:
            done.set_exception(exc)
        else:
            done.set_result(task.result())

    def close(self, timeout_s: float = 5.0) -> None:
        """Cancel what still runs, let it record its end, and stop the loop."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return

        async def wind_down() -> None:
            tasks = [t for t in self._tasks if not t.done()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=timeout_s)
            loop.stop()

        loop.call_soon_threadsafe(lambda: loop.create_task(wind_down()))
        thread.join(timeout_s + 1.0)
        if thread.is_alive():
            log.warning("the engine thread did not stop within %.0f s", timeout_s)


def on_gui(
    fn: Callable[[A], Awaitable[T]], gui_loop: asyncio.AbstractEventLoop
) -> Callable[[A], Coroutine[Any, Any, T]]:
    """`fn` (a coroutine function that uses Qt) callable from the engine loop: each call
    runs on `gui_loop`; cancelling the engine-side call cancels the GUI-side one."""

    async def call(arg: A) -> T:
        async def body() -> T:
            return await fn(arg)

        future = asyncio.run_coroutine_threadsafe(body(), gui_loop)
        return await asyncio.wrap_future(future)

    return call
