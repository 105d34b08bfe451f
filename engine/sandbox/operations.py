"""Size checks made before an operator, a method call or a format builds its value, so
`text * 100000000`, `'%0999999999d' % 1` or `'x'.center(10**9)` are refused up front
instead of filling memory."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from string import Formatter
from typing import Any

from jinja2.sandbox import SandboxedFormatter

from engine.sandbox.limits import RenderState, state

_SEQUENCES = (str, bytes, bytearray, list, tuple)

BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def number(value: Any, current: RenderState) -> int:
    """An integer argument (a width, a count) as a size; huge or odd ones count as too big."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if value.bit_length() < 63 else current.limits.max_chars + 1
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text) if len(text) < 12 else current.limits.max_chars + 1
    return 0


def binop(op: str, left: Any, right: Any) -> Any:
    """`left op right`, after checking the size of what it would build."""
    current = state()
    current.tick()
    if op == "*":
        seq, count = (right, left) if _is_int(left) else (left, right)
        if isinstance(seq, _SEQUENCES) and _is_int(count):
            if count > 0:
                size = current.weigh(seq) * number(count, current)
                current.check_size(size, "a repeated string or list")
        elif _is_int(left) and _is_int(right):
            _check_bits(left.bit_length() + right.bit_length(), current)
    elif op == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        _check_bits((abs(left).bit_length() - 1) * right, current)
    elif op == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        current.check_size(current.weigh(left) + current.weigh(right), "a joined string or list")
    elif op == "%" and isinstance(left, str | bytes):
        check_percent(left, right, current)
    result = BINOPS[op](left, right)
    if isinstance(result, _SEQUENCES):
        current.weigh(result)
    return result


def _check_bits(bits: int, current: RenderState) -> None:
    if bits > current.limits.max_int_bits:
        raise current.fail_number()


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?.", re.S)


def check_percent(template: str | bytes, args: Any, current: RenderState) -> None:
    """`template % args`: its widths and precisions plus the arguments stay within the limit."""
    text = template if isinstance(template, str) else template.decode("latin-1")
    size = len(text) + current.weigh(args, "the values formatted")
    star = False
    for match in _PERCENT.finditer(text):
        for part in match.groups():
            if part == "*":
                star = True
            elif part:
                size += number(part, current)
    if star:
        values = args if isinstance(args, tuple) else (args,)
        size += sum(number(v, current) for v in values if _is_int(v))
    current.check_size(size, "a formatted string")


def spec_size(spec: str, current: RenderState) -> int:
    """The widths and precisions a `str.format` field spec asks for."""
    return sum(number(part, current) for part in re.findall(r"\d+", spec))


class CheckedFormatter(SandboxedFormatter):
    """`str.format` in the sandbox: each field's width and value counted before it is made."""

    _size = 0

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._size = len(format_string)
        return Formatter.vformat(self, format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        current = state()
        current.tick()
        self._size += spec_size(format_spec, current) + current.weigh(value)
        current.check_size(self._size, "a formatted string")
        return super().format_field(value, format_spec)


def _replace_size(text: Any, args: tuple[Any, ...], current: RenderState) -> int:
    if len(args) < 2 or not isinstance(text, str | bytes | bytearray):
        return 0
    old, new = args[0], args[1]
    if not isinstance(old, str | bytes | bytearray) or not isinstance(new, str | bytes | bytearray):
        return 0
    count = text.count(old) if old else len(text) + 1  # type: ignore[arg-type]
    if len(args) > 2 and _is_int(args[2]) and args[2] >= 0:
        count = min(count, args[2])
    return len(text) + count * max(len(new) - len(old), 0)


def check_call(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Refuse a method call that would build an oversized value; returns the arguments to
    call with (an iterable given to `join` is read once here)."""
    owner = getattr(func, "__self__", None)
    name = getattr(func, "__name__", "")
    current = state()
    if isinstance(owner, str | bytes | bytearray):
        size = len(owner)
        if name in ("center", "ljust", "rjust", "zfill"):
            width = args[0] if args else kwargs.get("width", 0)
            size = max(size, number(width, current))
        elif name == "expandtabs":
            tab = args[0] if args else kwargs.get("tabsize", 8)
            size += owner.count(b"\t" if isinstance(owner, bytes | bytearray) else "\t") * max(  # type: ignore[arg-type]
                number(tab, current), 0
            )
        elif name == "replace":
            size = _replace_size(owner, args, current)
        elif name == "join" and args:
            items = list(args[0])
            size += len(owner) * len(items) + sum(current.weigh(i) for i in items)
            args = (items, *args[1:])
        elif name == "translate" and args and isinstance(args[0], dict):
            longest = max((current.weigh(v) for v in args[0].values()), default=1)
            size *= max(longest, 1)
        current.check_size(size, f"the result of {name}()")
    elif _is_int(owner) and name == "to_bytes":
        length = args[0] if args else kwargs.get("length", 1)
        current.check_size(number(length, current), "the result of to_bytes()")
    return args
