"""The one retry layer for remote calls (backoff with jitter inside a deadline, Retry-After)
and the per-endpoint circuit breaker."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple


class TransportRetry(NamedTuple):
    """How a remote call is retried on transport faults (timeouts, resets, 5xx, 429)."""

    max_attempts: int = 3
    """Requests in all, 1 = no retry."""
    initial_delay_s: float = 0.25
    """Wait before the second request."""
    backoff: float = 2.0
    """Multiplier per further retry."""
    max_delay_s: float = 8.0
    """Cap on one backoff wait."""
    jitter: float = 0.2
    """Random +/- share of each wait."""
    max_retry_after_s: float = 10.0
    """A Retry-After longer than this is not slept: the call fails and records the wait."""
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    """Longest silence between bytes (headers or stream chunks)."""

    def delay(self, failed_attempt: int, rng: Callable[[], float] = random.random) -> float:
        base = min(self.max_delay_s, self.initial_delay_s * self.backoff ** (failed_attempt - 1))
        return max(0.0, base * (1 + self.jitter * (2 * rng() - 1)))


BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    """Takes an endpoint out of rotation after `threshold` consecutive failures; after
    `cooldown_s` one probe request is let through (half-open) and decides."""

    threshold: int = 5
    cooldown_s: float = 30.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.cooldown_s:
            return "half_open"
        return "open"

    def available(self) -> bool:
        """Whether a router may pick this endpoint now (no side effects)."""
        with self._lock:
            state = self._state()
            return state == "closed" or (state == "half_open" and not self._probing)

    def acquire(self) -> bool:
        """Claim the right to send a request; in half-open only one probe at a time."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half_open" and not self._probing:
                self._probing = True
                return True
            return False

    def retry_in(self) -> float:
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.cooldown_s - (self.clock() - self._opened_at))

    def record_success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._probing = 0, None, False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._opened_at = self.clock()
            self._probing = False

    def release(self) -> None:
        """A claimed request ended without a verdict on the endpoint (cancelled, 4xx)."""
        with self._lock:
            self._probing = False
