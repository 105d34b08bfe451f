"""Decoding OpenAI-compatible responses: SSE chunks of chat and completion streams and
whole (non-streamed) bodies, into text, finish reason, usage and token logprobs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any


class MalformedResponse(Exception):
    """The server sent something that is not a valid chunk or body."""


class StreamTruncated(Exception):
    """The stream ended before the model said why it stopped."""


@dataclass
class Decoded:
    """What has been read of one response so far."""

    chat: bool
    pieces: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    logprobs: list[float] = field(default_factory=list)
    chunks: int = 0
    done: bool = False

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def confidence(self) -> float | None:
        """Geometric-mean token probability, exp(mean logprob); None without logprobs."""
        if not self.logprobs:
            return None
        return math.exp(sum(self.logprobs) / len(self.logprobs))

    def feed_line(self, line: str) -> str | None:
        """Take one SSE line; returns new text to stream, if any."""
        line = line.strip()
        if not line or line.startswith(":"):
            return None
        if not line.startswith("data:"):
            if line.split(":", 1)[0] in ("event", "id", "retry"):
                return None
            raise MalformedResponse(f"unexpected line in event stream: {line[:80]!r}")
        data = line[5:].strip()
        if data == "[DONE]":
            self.done = True
            return None
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError as exc:
            raise MalformedResponse(
                f"stream chunk is not JSON ({exc.msg}): {data[:80]!r}"
            ) from None
        return self.feed_chunk(chunk, streamed=True)

    def feed_chunk(self, chunk: Any, *, streamed: bool) -> str | None:
        if not isinstance(chunk, dict):
            raise MalformedResponse(f"expected a JSON object, got {type(chunk).__name__}")
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise MalformedResponse(f"server reported an error mid-response: {message}")
        self.chunks += 1
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = _int(usage.get("prompt_tokens"))
            self.completion_tokens = _int(usage.get("completion_tokens"))
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise MalformedResponse("response has no `choices` list")
        if not choices:
            return None  # e.g. the trailing usage chunk
        choice = choices[0]
        if not isinstance(choice, dict):
            raise MalformedResponse("a choice is not an object")
        piece = self._text_of(choice, streamed)
        self._logprobs_of(choice.get("logprobs"))
        if choice.get("finish_reason"):
            self.finish_reason = str(choice["finish_reason"])
        if piece:
            self.pieces.append(piece)
        return piece or None

    def _text_of(self, choice: dict[str, Any], streamed: bool) -> str:
        if not self.chat:
            text = choice.get("text", "")
        else:
            holder = choice.get("delta" if streamed else "message")
            if holder is None and streamed:
                holder = {}
            if not isinstance(holder, dict):
                raise MalformedResponse("chat choice has no delta/message object")
            text = holder.get("content") or ""
        if not isinstance(text, str):
            raise MalformedResponse("choice text is not a string")
        return text

    def _logprobs_of(self, logprobs: Any) -> None:
        if not isinstance(logprobs, dict):
            return
        if isinstance(logprobs.get("content"), list):  # chat
            values = [t.get("logprob") for t in logprobs["content"] if isinstance(t, dict)]
        else:  # completions
            values = list(logprobs.get("token_logprobs") or [])
        self.logprobs += [float(v) for v in values if isinstance(v, int | float)]

    def finish(self) -> None:
        """Call at end of stream: a missing finish reason means truncated output."""
        if self.finish_reason is None:
            how = "after [DONE]" if self.done else "without [DONE]"
            raise StreamTruncated(
                f"stream ended {how} but before a finish reason after {self.chunks} chunks; "
                "the partial output was discarded"
            )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None
