"""Constructing `llama_cpp.Llama` objects, one at a time in the whole process.

With `verbose=False`, llama-cpp-python points file descriptors 1 and 2 at /dev/null while a
model loads and then restores the saved ones. Two loads in two threads interleave those
saves and restores and can leave the process's stdout and stderr on /dev/null for good
(seen with two replicas loading at once), so every load here holds one lock.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()


def load_llama(path: str, **kwargs: Any) -> Any:
    """`Llama(path, verbose=False, **kwargs)`, serialized with every other load."""
    from llama_cpp import Llama

    with _lock:
        return Llama(path, verbose=False, **kwargs)
