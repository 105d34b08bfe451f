"""The CLI's stdout and stderr while a command runs: every known secret is redacted
(`engine.audit.secrets`) from whatever a command prints, an error shows or a log line says,
a line at a time, so a secret written in pieces is still caught; and stdout carries only
what the command itself prints (its result, perhaps JSON a script parses), so text a
library's background thread prints there goes to stderr instead (Ray's driver prints the
errors its cluster reports, such as a lost head's, to stdout from its own thread)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from engine.audit.secrets import redact_known


class RedactingStream:
    """A text stream that redacts known secrets before writing to `target`."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        cut = max(self._pending.rfind("\n"), self._pending.rfind("\r"))
        if cut >= 0:
            ready, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
            self._emit(ready)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self._emit(pending)
        self.target.flush()

    def _emit(self, text: str) -> None:
        text = redact_known(text)
        try:
            self.target.write(text)
        except UnicodeEncodeError:  # a lone surrogate: shown as an escape, not a traceback
            encoding = getattr(self.target, "encoding", None) or "utf-8"
            self.target.write(text.encode(encoding, "backslashreplace").decode(encoding))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding, buffer...
        return getattr(self.target, name)


class CommandStdout(RedactingStream):
    """stdout for the thread that runs the command; any other thread writes to `aside`."""

    def __init__(self, target: TextIO, aside: RedactingStream) -> None:
        super().__init__(target)
        self.aside = aside
        self.owner = threading.current_thread()

    def write(self, text: str) -> int:
        if threading.current_thread() is not self.owner:
            return self.aside.write(text)
        return super().write(text)


@contextmanager
def redacted_output() -> Iterator[None]:
    """Route sys.stdout and sys.stderr through `RedactingStream` while a command runs;
    stdout only for the calling thread."""
    stdout, stderr = sys.stdout, sys.stderr
    errors = RedactingStream(stderr)
    sys.stdout, sys.stderr = CommandStdout(stdout, errors), errors
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:  # the reader went away; main() already said so
            pass
        finally:
            sys.stdout, sys.stderr = stdout, stderr
