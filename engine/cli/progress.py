"""Live run progress on stderr: one line per node transition, token counts on a TTY."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from engine.trace.events import (
    LoopIteration,
    NodeCached,
    NodeFailed,
    NodeRetrying,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    NodeToken,
    RunEvent,
    RunFinished,
    RunResumed,
    RunStarted,
)


class ProgressPrinter:
    """An event subscriber that prints a readable trace as the run goes."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.started = time.monotonic()
        self.tokens: dict[str, int] = {}
        self.tty = self.stream.isatty()

    def _line(self, mark: str, text: str) -> None:
        if self.quiet:
            return
        elapsed = time.monotonic() - self.started
        prefix = "\r\x1b[2K" if self.tty else ""
        self.stream.write(f"{prefix}[{elapsed:7.2f}s] {mark} {text}\n")
        self.stream.flush()

    def __call__(self, event: RunEvent) -> None:
        node = event.node_id or ""
        match event:
            case RunStarted():
                self._line(
                    "▶", f"run {event.run_id} of {event.workflow_name!r} ({event.node_count} nodes)"
                )
            case RunResumed():
                done = len(event.completed_nodes)
                self._line("▶", f"resuming run {event.run_id}: {done} nodes already done")
            case NodeStarted():
                again = f" (attempt {event.attempt})" if event.attempt > 1 else ""
                fallback = " [fallback]" if event.fallback else ""
                self._line("…", f"{node} ({event.kind}){again}{fallback}")
            case NodeToken():
                self.tokens[node] = self.tokens.get(node, 0) + 1
                if self.tty and not self.quiet:
                    self.stream.write(f"\r\x1b[2K  {node}: {self.tokens[node]} tokens")
                    self.stream.flush()
            case NodeSucceeded():
                model = f" via {event.model}" if event.model else ""
                tok = event.prompt_tokens + event.completion_tokens
                usage = f", {tok} tokens" if tok else ""
                self._line("✓", f"{node} in {event.duration_s * 1000:.0f} ms{model}{usage}")
            case NodeCached():
                self._line("●", f"{node} reused ({event.source})")
            case NodeRetrying() if event.next_is_fallback:
                self._line("↻", f"{node} attempt {event.attempt} failed ({event.error}); fallback")
            case NodeRetrying():
                self._line(
                    "↻",
                    f"{node} attempt {event.attempt} failed ({event.error}); "
                    f"retry in {event.delay_s:.2f}s",
                )
            case LoopIteration():
                holds = " — condition holds" if event.converged else ""
                self._line("↺", f"{node} iteration {event.iteration}{holds}")
            case NodeFailed():
                self._line(
                    "✗",
                    f"{node} failed [{event.error_class}]: {event.error} "
                    f"(on_error={event.on_error})",
                )
            case NodeSkipped():
                self._line("-", f"{node} skipped: {event.reason}")
            case RunFinished():
                tokens = event.prompt_tokens + event.completion_tokens
                tail = f": {event.error}" if event.error else ""
                self._line(
                    "■",
                    f"run {event.status} in {event.duration_s:.2f}s, {tokens} tokens, "
                    f"${event.cost_usd:.4f}{tail}",
                )
            case _:
                pass
