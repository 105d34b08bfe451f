"""Keeps Python's cyclic garbage collector from freezing the window. A full collection
walks every tracked object while holding the GIL, in whichever thread happens to trigger
it: with the app and the engine loaded (100-200k objects) that takes 70-110 ms, during
which the event loop cannot run any Python (the first run's model load once set one
off in a replica thread). What start-up and the warm-up imports create lives as long as
the process; `gc.freeze` moves it out of the collector's view, so later full collections
only walk newer objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_long_lived() -> None:
    """Exempt every object alive now from later collections (they are never collected;
    garbage cycles among them, if any, are kept). Constant time: no collection runs, and
    nothing walks the objects (`gc.get_freeze_count` would: ~40 ms at 200k objects)."""
    gc.freeze()


@contextmanager
def long_lived_imports() -> Iterator[None]:
    """For a block that imports modules (classes, functions, tables: all kept for good):
    no automatic collection runs meanwhile, in any thread, and what it made is frozen."""
    with paused():
        try:
            yield
        finally:
            freeze_long_lived()  # before collection resumes


@contextmanager
def paused() -> Iterator[None]:
    """For a bulk build such as opening a large file: no automatic collection runs
    meanwhile (each would walk the heap while thousands of new objects pile up, about
    halving the speed of opening 1,000 nodes). The new objects are not frozen: a later
    collection treats them as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
