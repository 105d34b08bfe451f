"""Reading a file the user names (a workflow, an inputs file, an exported run): regular
files only, the size checked from the open descriptor before reading, at most the cap read.
A FIFO, a device such as /dev/zero or a directory is refused at once."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnreadableFile(OSError):
    """The path is not a regular file, or it is larger than the cap."""


def read_regular_file(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of `path`. Raises UnreadableFile (an OSError) for anything but a regular
    file of at most `max_bytes`, and OSError when it cannot be opened."""
    # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"{path} is not a regular file")
        if info.st_size > max_bytes:
            raise UnreadableFile(f"{path} is larger than {max_bytes:,} bytes")
        chunks: list[bytes] = []
        left = max_bytes + 1  # one more than allowed: a file that grew shows as too large
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise UnreadableFile(f"{path} is larger than {max_bytes:,} bytes")
    return data
