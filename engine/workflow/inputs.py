"""Workflow input values: defaults, required checks, type checks, CLI parsing, and the
limits every value given from outside must keep (nesting, size, numbers, valid text)."""

from __future__ import annotations

import json
import math
from typing import Any

from engine.errors import RunError
from engine.workflow.model import InputDecl, Workflow

_CHECKS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
    "any": lambda v: True,
}


def type_matches(type_name: str, value: Any) -> bool:
    return bool(_CHECKS.get(type_name, _CHECKS["any"])(value))


MAX_DEPTH = 64
"""Nesting of lists and objects in one input value."""
MAX_INPUT_BYTES = 32 * 1024 * 1024
"""Size of an inputs file, or of one value's JSON text."""
MAX_INT = 2**63 - 1
"""Integers beyond 64 bits are refused: few JSON readers keep them exact (pass text)."""


class _Refused(ValueError):
    pass


class InvalidJson(RunError):
    """Text that is not JSON at all; `detail` says where."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name}, which is not a JSON number")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) > MAX_INT:
        raise _Refused("an integer beyond 64 bits (give it as a string)")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"{text[:20]}, a number too large for JSON")
    return value


def parse_json_text(text: str, what: str) -> Any:
    """Strict JSON: no NaN/Infinity, integers within 64 bits, at most MAX_DEPTH levels,
    valid Unicode. Raises RunError naming `what` and the problem."""
    if len(text) > MAX_INPUT_BYTES:
        raise RunError(f"{what} is larger than {MAX_INPUT_BYTES:,} characters")
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except RecursionError:
        raise RunError(f"{what} is nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise InvalidJson(f"{what} is not valid JSON: {detail}", detail) from None
    except _Refused as exc:
        raise RunError(f"{what} holds {exc}") from None
    problem = value_problem(value)
    if problem:
        raise RunError(f"{what} {problem}")
    return value


def value_problem(value: Any) -> str | None:
    """Why `value` cannot be an input (too deep, a non-finite or huge number, text with a
    lone surrogate), or None."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if problem := _text_problem(item):
                return problem
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_INT:
                return "holds an integer beyond 64 bits (give it as a string)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"holds {item!r}, which is not a JSON number"
        elif isinstance(item, list | tuple | dict):
            if depth >= MAX_DEPTH:
                return f"is nested deeper than {MAX_DEPTH} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _text_problem(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"holds text that is not valid Unicode (character {exc.start + 1} is a lone "
            f"surrogate, U+{ord(text[exc.start]):04X})"
        )
    return None


def parse_cli_value(decl: InputDecl | None, text: str) -> Any:
    """`--input NAME=VALUE`: strings stay text; other declared types are parsed as JSON."""
    name = decl.name if decl is not None else "?"
    if decl is None or decl.type in ("string",):
        if problem := _text_problem(text):
            raise RunError(f"input {name!r} {problem}")
        return text
    try:
        return parse_json_text(text, f"input {name!r}")
    except InvalidJson as exc:
        raise RunError(f"input {name!r} must be {decl.type} (JSON): {exc.detail}") from None


def resolve_inputs(workflow: Workflow, given: dict[str, Any]) -> dict[str, Any]:
    """Apply defaults and check every value. Raises RunError naming each problem."""
    problems: list[str] = []
    declared = {d.name: d for d in workflow.inputs}
    for name in given:
        if name not in declared:
            known = ", ".join(declared) or "none"
            problems.append(f"unknown input {name!r} (declared: {known})")
    values: dict[str, Any] = {}
    for decl in workflow.inputs:
        # A required input given as null is missing too (unless its type is null).
        missing = given.get(decl.name) is None and decl.type != "null"
        if decl.required and (decl.name not in given or missing):
            problems.append(f"input {decl.name!r} is required")
            continue
        value = given.get(decl.name, decl.default)
        if problem := value_problem(value):
            problems.append(f"input {decl.name!r} {problem}")
            continue
        if value is not None and not type_matches(decl.type, value):
            problems.append(f"input {decl.name!r} must be {decl.type}, got {type(value).__name__}")
        values[decl.name] = value
    if problems:
        raise RunError("; ".join(problems))
    return values
