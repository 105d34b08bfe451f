"""Workflow input values: defaults, required checks, type checks and CLI parsing."""

from __future__ import annotations

import json
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


def parse_cli_value(decl: InputDecl | None, text: str) -> Any:
    """`--input NAME=VALUE`: strings stay text; other declared types are parsed as JSON."""
    if decl is None or decl.type in ("string",):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunError(f"input {decl.name!r} must be {decl.type} (JSON): {exc.msg}") from None


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
        if value is not None and not type_matches(decl.type, value):
            problems.append(f"input {decl.name!r} must be {decl.type}, got {type(value).__name__}")
        values[decl.name] = value
    if problems:
        raise RunError("; ".join(problems))
    return values
