"""Sandboxed templates and expressions (jinja2's immutable sandbox): the only way user
text in a workflow file is evaluated. No eval, no attribute access to internals.
An interpolated None, True or False renders as JSON: null, true, false."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.errors import NodeError

_JSON_CONSTANTS: dict[object, str] = {None: "null", True: "true", False: "false"}


def _finalize(value: Any) -> Any:
    """`{{ x }}` of None/True/False gives null/true/false, as JSON would, not Python's repr."""
    if value is None or isinstance(value, bool):
        return _JSON_CONSTANTS[value]
    return value


_ENV = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_finalize
)
_ENV.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)
_ENV.globals.update({"len": len, "min": min, "max": max, "sorted": sorted})


class SandboxError(NodeError):
    """A template or expression failed to compile or evaluate."""

    error_class = "config"


@lru_cache(maxsize=1024)
def _template(source: str) -> Any:
    return _ENV.from_string(source)


@lru_cache(maxsize=1024)
def _expression(source: str) -> Any:
    return _ENV.compile_expression(source, undefined_to_none=False)


def check_template(source: str) -> str | None:
    """Return a syntax error message, or None when the template compiles."""
    try:
        _template(source)
    except TemplateError as exc:
        return f"template error: {exc}"
    return None


def check_expression(source: str) -> str | None:
    try:
        _expression(source)
    except TemplateError as exc:
        return f"expression error: {exc}"
    return None


def expression_names(source: str) -> set[str]:
    """The variables an expression reads, leaving out the sandbox's globals (`len`, `range`,
    ...). Raises TemplateError when it does not compile."""
    parser = Parser(_ENV, source, state="variable")
    expression = parser.parse_expression()
    if not parser.stream.eos:
        parser.fail("chunk after expression", parser.stream.current.lineno)
    found = [expression, *expression.find_all(nodes.Name)]  # find_all skips the root
    names = {n.name for n in found if isinstance(n, nodes.Name) and n.ctx == "load"}
    return names - set(_ENV.globals)


def render(source: str, variables: dict[str, Any]) -> str:
    """Render a template with the given variables; errors name the problem."""
    try:
        return str(_template(source).render(**variables))
    except TemplateError as exc:
        raise SandboxError(f"template error: {exc}") from None


def evaluate(source: str, variables: dict[str, Any]) -> Any:
    """Evaluate a sandboxed expression such as `score > 0.5 and label == 'spam'`."""
    try:
        return _expression(source)(**variables)
    except TemplateError as exc:
        raise SandboxError(f"expression error in {source!r}: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise SandboxError(f"expression {source!r} failed: {exc}") from None
