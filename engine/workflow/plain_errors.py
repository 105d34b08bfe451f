"""Pydantic validation errors said in plain words: what the value should be, what it is,
and what to do, without pydantic's wording or Python type names."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from engine.workflow.model import ID_PATTERN, PORT_PATTERN

_PATTERNS = {
    ID_PATTERN: "should be an id of letters, digits, _ and - that starts with a letter or _ "
    "(at most 64 characters)",
    PORT_PATTERN: "should be a name of letters, digits and _ that starts with a letter or _ "
    "(at most 64 characters)",
}


def describe(value: Any) -> str:
    """A value as a person reads it: `a list`, `the text 'x'`, `the number 3`."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {short!r}" if value else "empty text"
    if isinstance(value, dict):
        return "a set of key: value settings"
    if isinstance(value, list | tuple):
        return "a list"
    return "a value of another kind"


def plain_message(err: Any) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) in plain words."""
    kind: str = err.get("type", "")
    ctx: dict[str, Any] = err.get("ctx") or {}
    got = err.get("input")
    but = f", but is {describe(got)}"
    if kind == "missing":
        return "missing: this setting is required, add a value"
    if kind == "extra_forbidden":
        return "not a known setting: remove it or check its spelling"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"should be a set of key: value settings{but}"
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"should be a list{but}"
    if kind == "string_type":
        return f"should be text{but}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"should be a whole number{but}"
    if kind in ("float_type", "float_parsing"):
        return f"should be a number{but}"
    if kind in ("bool_type", "bool_parsing"):
        return f"should be true or false{but}"
    for bound, words in (
        ("ge", "{} or more"),
        ("gt", "more than {}"),
        ("le", "{} or less"),
        ("lt", "less than {}"),
    ):
        if kind.startswith(("greater_than", "less_than")) and bound in ctx:
            return f"should be {words.format(ctx[bound])}, but is {got}"  # typed or read
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"should be one of {expected}{but}"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        return "should not be empty" if least == 1 else f"should be {least} characters or more"
    if kind == "string_too_long":
        return f"should be {ctx.get('max_length')} characters or fewer"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return "should have at least one item" if least == 1 else f"needs {least} items or more"
    if kind == "too_long":
        return f"should have {ctx.get('max_length')} items or fewer"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        words = _PATTERNS.get(pattern, f"does not have the allowed form ({pattern})")
        return f"{words}{but}"
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        return str(error) if error is not None else str(err.get("msg", ""))
    return str(err.get("msg", "is not valid"))


def plain_errors(exc: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    """Each error of `exc` as (its location, its plain message)."""
    return [(tuple(e["loc"]), plain_message(e)) for e in exc.errors(include_url=False)]
