"""Jinja's filters, checked: each one counts as a step of the render, arguments that set a
size (widths, counts, separators) are weighed before it runs and its result after. Every
filter takes the context, so none is ever evaluated while a template compiles."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from jinja2.filters import make_attrgetter
from jinja2.runtime import Context
from jinja2.utils import _PassArg, pass_context

from engine.sandbox.limits import RenderState, state
from engine.sandbox.operations import binop, check_call, check_percent, number

Precheck = Callable[..., tuple[tuple[Any, ...], dict[str, Any]]]

_UNWEIGHED = frozenset(
    {
        "abs", "attr", "count", "d", "default", "first", "float", "groupby", "int", "last",
        "length", "map", "max", "min", "random", "reject", "rejectattr", "round", "safe",
        "select", "selectattr", "sum", "batch", "slice", "join", "items",
    }
)  # fmt: skip
"""Filters that never turn their whole input into text: the input is not weighed first."""


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], i: int, name: str, default: Any) -> Any:
    return args[i] if len(args) > i else kwargs.get(name, default)


def _center(current: RenderState, value: Any, *args: Any, **kwargs: Any) -> None:
    width = number(_arg(args, kwargs, 0, "width", 80), current)
    current.check_size(max(current.weigh(value), width), "the result of center")


def _indent(current: RenderState, value: Any, *args: Any, **kwargs: Any) -> None:
    width = _arg(args, kwargs, 0, "width", 4)
    unit = len(width) if isinstance(width, str) else number(width, current)
    lines = value.count("\n") + 1 if isinstance(value, str) else 1
    current.check_size(current.weigh(value) + lines * unit, "the result of indent")


def _wordwrap(current: RenderState, value: Any, *args: Any, **kwargs: Any) -> None:
    size = current.weigh(value)
    width = max(number(_arg(args, kwargs, 0, "width", 79), current), 1)
    wrap = _arg(args, kwargs, 2, "wrapstring", None) or "\n"
    lines = size // width + (value.count("\n") if isinstance(value, str) else 0) + 1
    current.check_size(size + lines * current.weigh(wrap), "the result of wordwrap")


def _replace(current: RenderState, value: Any, *args: Any, **kwargs: Any) -> None:
    text = value if isinstance(value, str) else ""
    old, new = _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", "")
    check_call(text.replace, (str(old), str(new)), {})


def _format(current: RenderState, value: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(value, str):
        check_percent(value, kwargs or args, current)


def _batch(current: RenderState, value: Any, *args: Any, **kwargs: Any) -> None:
    count = number(_arg(args, kwargs, 0, "linecount", 1), current)
    fill = _arg(args, kwargs, 1, "fill_with", None)
    size = current.weigh(value) + count * (2 + current.weigh(fill))
    current.check_size(size, "the result of batch")


def _slice(current: RenderState, value: Any, *args: Any, **kwargs: Any) -> None:
    count = number(_arg(args, kwargs, 0, "slices", 1), current)
    fill = _arg(args, kwargs, 1, "fill_with", None)
    size = current.weigh(value) + count * (16 + current.weigh(fill))
    current.check_size(size, "the result of slice")


def _tojson(current: RenderState, value: Any, *args: Any, **kwargs: Any) -> None:
    indent = _arg(args, kwargs, 0, "indent", None)
    unit = len(indent) if isinstance(indent, str) else number(indent, current)
    current.check_size(current.weigh(value) * (1 + unit), "the result of tojson")


_PRECHECKS: dict[str, Callable[..., None]] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "replace": _replace,
    "format": _format,
    "batch": _batch,
    "slice": _slice,
    "tojson": _tojson,
}


def _join_items(value: Any, *args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """`join`: read the items once, then weigh them and the separators."""
    current = state()
    items = list(value) if isinstance(value, Iterable) else value
    separator = _arg(args, kwargs, 0, "d", "")
    if isinstance(items, list):
        size = len(items) * current.weigh(separator)
        for item in items:
            size += current.weigh(item)
            current.check_size(size, "the result of join")
    return (items, *args), kwargs


def checked_sum(
    context: Context, iterable: Iterable[Any], attribute: Any = None, start: Any = 0
) -> Any:
    """`sum`, adding with the sandbox's checked `+` (summing lists or strings is bounded)."""
    if attribute is not None:
        getter = make_attrgetter(context.environment, attribute)
        iterable = map(getter, iterable)
    total = start
    for item in iterable:
        total = binop("+", total, item)
    return total


def checked_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` as a context filter with the checks above around it."""
    passes = _PassArg.from_obj(func)
    precheck = _PRECHECKS.get(name)

    @wraps(func)
    def run(context: Context, value: Any = None, *args: Any, **kwargs: Any) -> Any:
        current = state()
        current.tick()
        if name == "join":
            (value, *rest), kwargs = _join_items(value, *args, **kwargs)
            args = tuple(rest)
        elif name not in _UNWEIGHED:
            current.weigh(value, f"the input of the {name} filter")
        if precheck is not None:
            precheck(current, value, *args, **kwargs)
        if passes is _PassArg.context:
            result = func(context, value, *args, **kwargs)
        elif passes is _PassArg.eval_context:
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif passes is _PassArg.environment:
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        if isinstance(result, str | bytes | list | tuple | dict | set):
            current.weigh(result, f"the result of the {name} filter")
        return result

    return pass_context(run)


def checked_filters(filters: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Every filter wrapped; `sum` replaced by the checked one."""
    wrapped = {name: checked_filter(name, func) for name, func in filters.items()}
    wrapped["sum"] = checked_filter("sum", pass_context(checked_sum))
    return wrapped
