"""Limits on what a sandboxed template or expression may build and how long it may run:
the size of every value (its weight), the render deadline, and the state of the render in
progress, which the sandbox's operators, calls, filters and loops consult."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2.utils import Namespace

from engine.errors import NodeError


class SandboxError(NodeError):
    """A template or expression failed to compile or evaluate."""

    error_class = "config"


class SandboxLimitError(SandboxError):
    """A template or expression went past one of its limits (size, nesting, numbers)."""


class SandboxTimeout(SandboxLimitError):
    """A render ran past its deadline: the node's `timeout_s`, else the template time limit."""

    error_class = "timeout"


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Bounds on every template and expression (`policy.templates` sets the first two)."""

    max_chars: int = 5_000_000
    """Largest value a template or expression may build, and largest output, in characters
    of its text form (a list counts its items, their separators and a little per list)."""
    max_seconds: float = 10.0
    """Longest one render may take when its node has no `timeout_s`."""
    max_nesting: int = 20
    """Brackets nested in an expression, and blocks (`for`, `if`, `macro`...) in a template."""
    max_expression_depth: int = 40
    """Operators, filters and calls applied one inside the other."""
    max_int_bits: int = 14_000
    """Largest integer an operator may produce (about 4,200 digits)."""
    max_value_depth: int = 100
    """Lists and mappings nested in a value a template builds or reads."""


DEFAULT_LIMITS = SandboxLimits()


@dataclass(slots=True)
class RunOutput:
    """What all of one run's templates have output so far, against the run's cap."""

    max_chars: int
    chars: int = 0

    def add(self, count: int) -> None:
        self.chars += count
        if self.chars > self.max_chars:
            raise SandboxError(
                f"the run's templates have output more than {self.max_chars:,} characters "
                "(policy.templates.max_run_chars)"
            )


@dataclass(frozen=True, slots=True)
class _Scope:
    limits: SandboxLimits
    deadline: float | None = None
    timeout_s: float | None = None
    run: RunOutput | None = None


_SCOPE: ContextVar[_Scope | None] = ContextVar("sandbox_scope", default=None)


@contextmanager
def sandbox_scope(
    *,
    timeout_s: float | None = None,
    max_chars: int | None = None,
    max_seconds: float | None = None,
    run: RunOutput | None = None,
) -> Iterator[None]:
    """Templates rendered inside (in this task or thread) use these limits and stop at
    `timeout_s` from now: a node attempt's budget."""
    outer = _SCOPE.get()
    base = outer.limits if outer is not None else DEFAULT_LIMITS
    limits = SandboxLimits(
        max_chars=max_chars if max_chars is not None else base.max_chars,
        max_seconds=max_seconds if max_seconds is not None else base.max_seconds,
    )
    run = run if run is not None else (outer.run if outer is not None else None)
    scope = _Scope(limits, run=run)
    if timeout_s is not None:
        scope = _Scope(limits, time.monotonic() + timeout_s, timeout_s, run)
    inherited = outer.deadline if outer is not None else None
    if (
        outer is not None
        and inherited is not None
        and inherited < (scope.deadline or inherited + 1)
    ):
        scope = _Scope(limits, inherited, outer.timeout_s, run)  # an enclosing node's is sooner
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def count_run_output(chars: int) -> None:
    """Count a finished render's output toward its run's cap (outside a run: nothing)."""
    scope = _SCOPE.get()
    if scope is not None and scope.run is not None:
        scope.run.add(chars)


def current_limits() -> SandboxLimits:
    scope = _SCOPE.get()
    return scope.limits if scope is not None else DEFAULT_LIMITS


_CONTAINER = 16
"""Weight of a list, tuple, dict or set itself: roughly its memory next to a character's."""


@dataclass(slots=True)
class RenderState:
    """One render or evaluation in progress: its limits, deadline and known weights."""

    limits: SandboxLimits
    deadline: float
    reason: str
    weights: dict[int, tuple[Any, int, int]] = field(default_factory=dict)
    """Weights and depths of the containers built so far, by id (the value is kept so the id stays
    its own); containers in the sandbox are immutable."""

    def tick(self) -> None:
        """One step of a loop, call or filter: stop once the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise SandboxTimeout(self.reason)

    def fail_number(self) -> SandboxLimitError:
        digits = self.limits.max_int_bits * 3 // 10
        return SandboxLimitError(f"a number of more than about {digits:,} digits is refused")

    def fail(self, what: str) -> SandboxLimitError:
        return SandboxLimitError(
            f"{what} exceeds the template size limit of {self.limits.max_chars:,} "
            "characters (policy.templates.max_chars)"
        )

    def check_size(self, size: int, what: str) -> None:
        if size > self.limits.max_chars:
            raise self.fail(what)

    def weigh(self, value: Any, what: str = "a value") -> int:
        """The size of `value`'s text form, about; raises once it passes the limit (so
        weighing a huge shared structure stops early) or nests too deeply."""
        if isinstance(value, str | bytes | bytearray):
            size = len(value) + 2
            self.check_size(size, what)
            return size
        if not isinstance(value, _CONTAINERS):
            return _scalar_weight(value)
        known = self.weights.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        weight, depth = self._walk(value, what)
        if not isinstance(value, Namespace | range):  # a namespace changes; a range is cheap
            self.weights[id(value)] = (value, weight, depth)
        return weight

    def _walk(self, value: Any, what: str) -> tuple[int, int]:
        """Weight and depth of a container, reusing what is known of the ones inside."""
        limit, most = self.limits.max_chars, self.limits.max_value_depth
        total = deepest = steps = 0
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            steps += 1
            if steps & 0xFFF == 0:
                self.tick()
            if isinstance(item, str | bytes | bytearray):
                total += len(item) + 4
            elif not isinstance(item, _CONTAINERS):
                total += _scalar_weight(item)
            elif isinstance(item, range):
                total += _CONTAINER + 8 * len(item)  # at most jinja's MAX_RANGE items
                deepest = max(deepest, depth)
            elif (known := self.weights.get(id(item))) is not None and known[0] is item:
                total += known[1]
                deepest = max(deepest, depth - 1 + known[2])
            else:
                children = _children(item)
                total += _CONTAINER + 2 * len(children)
                deepest = max(deepest, depth)
                stack.extend((child, depth + 1) for child in children)
            if deepest > most:
                raise SandboxLimitError(f"{what} is nested deeper than {most} levels")
            if total > limit:
                raise self.fail(what)
        return total, deepest

    def sized(self, value: Any, what: str = "a value") -> Any:
        self.weigh(value, what)
        return value


_CONTAINERS = (list, tuple, dict, set, frozenset, range, Namespace)


def _children(item: Any) -> list[Any]:
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, Namespace):
        attrs: dict[str, Any] = item._Namespace__attrs
        return [*attrs.keys(), *attrs.values()]
    return list(item)


def _scalar_weight(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() * 3 // 10 + 2
    return 8


_STATE: ContextVar[RenderState | None] = ContextVar("sandbox_render", default=None)


def new_state() -> RenderState:
    """A render starting now, within the limits and deadline of the current scope."""
    scope = _SCOPE.get()
    limits = scope.limits if scope is not None else DEFAULT_LIMITS
    now = time.monotonic()
    deadline = now + limits.max_seconds
    reason = (
        f"took longer than the template time limit of {limits.max_seconds:g}s "
        "(policy.templates.max_seconds)"
    )
    if scope is not None and scope.deadline is not None and scope.deadline < deadline:
        deadline = scope.deadline
        reason = f"ran past the node's timeout of {scope.timeout_s:g}s"
    return RenderState(limits, deadline, f"template or expression {reason}")


@contextmanager
def rendering() -> Iterator[RenderState]:
    """Make a fresh render state current for the duration of one render."""
    state = new_state()
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)


def state() -> RenderState:
    """The render in progress; outside one (compiling), a fresh state with the defaults."""
    current = _STATE.get()
    return current if current is not None else new_state()
