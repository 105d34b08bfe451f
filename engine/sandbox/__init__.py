"""Sandboxed templates and expressions (jinja2's immutable sandbox, with limits): the only
way user text in a workflow file is evaluated. No eval, no attribute access to internals;
nesting is checked before compiling, and what a render builds, outputs and spends in time
is bounded (see `limits`). An interpolated None, True or False renders as JSON."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import TemplateError, meta, nodes
from jinja2.environment import Template, TemplateExpression
from jinja2.exceptions import TemplateSyntaxError
from jinja2.parser import Parser

from engine.sandbox.checks import check_constants, check_depth, check_nesting
from engine.sandbox.environment import build_environment
from engine.sandbox.limits import (
    DEFAULT_LIMITS,
    RunOutput,
    SandboxError,
    SandboxLimitError,
    SandboxLimits,
    SandboxTimeout,
    count_run_output,
    current_limits,
    rendering,
    sandbox_scope,
)

__all__ = [
    "RunOutput",
    "SandboxError",
    "SandboxLimitError",
    "SandboxLimits",
    "SandboxTimeout",
    "check_expression",
    "check_template",
    "evaluate",
    "expression_names",
    "render",
    "sandbox_scope",
    "template_names",
]

_ENV = build_environment()


def _shown(source: str) -> str:
    return repr(source if len(source) <= 80 else source[:77] + "...")


def _parse_template(source: str) -> nodes.Template:
    check_nesting(_ENV, source, None, DEFAULT_LIMITS)
    root = _ENV.parse(source)
    check_depth(root, DEFAULT_LIMITS)
    return root


def _parse_expression(source: str) -> nodes.Expr:
    check_nesting(_ENV, source, "variable", DEFAULT_LIMITS)
    parser = Parser(_ENV, source, state="variable")
    expression = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError(
            "chunk after expression", parser.stream.current.lineno, None, None
        )
    check_depth(expression, DEFAULT_LIMITS)
    return expression


def _compile_problem(kind: str, exc: BaseException) -> SandboxError:
    """A compile failure as a SandboxError with one clear line (never a traceback)."""
    if isinstance(exc, SandboxError):
        return type(exc)(f"{kind} error: {exc}")
    if isinstance(exc, TemplateError):
        return SandboxError(f"{kind} error: {exc}")
    if isinstance(exc, RecursionError | MemoryError) or (
        isinstance(exc, SyntaxError) and "too many" in str(exc)
    ):
        return SandboxLimitError(f"{kind} error: too deeply nested or too large to compile")
    return SandboxError(f"{kind} error: {type(exc).__name__}: {exc}")


@lru_cache(maxsize=1024)
def _template(source: str) -> Template:
    try:
        return _ENV.from_string(_parse_template(source))
    except Exception as exc:
        raise _compile_problem("template", exc) from None


@lru_cache(maxsize=1024)
def _expression(source: str) -> TemplateExpression:
    try:
        expression = _parse_expression(source)
        expression.set_environment(_ENV)
        body = [nodes.Assign(nodes.Name("result", "store"), expression, lineno=1)]
        return TemplateExpression(_ENV.from_string(nodes.Template(body, lineno=1)), False)
    except Exception as exc:
        raise _compile_problem("expression", exc) from None


def check_template(source: str) -> str | None:
    """A problem message (syntax, nesting, a constant past a limit), or None when the
    template compiles within the limits."""
    try:
        _template(source)
        check_constants(_parse_template(source))
    except SandboxError as exc:
        return str(exc)
    except Exception as exc:
        return str(_compile_problem("template", exc))
    return None


def check_expression(source: str) -> str | None:
    try:
        _expression(source)
        check_constants(_parse_expression(source))
    except SandboxError as exc:
        return str(exc)
    except Exception as exc:
        return str(_compile_problem("expression", exc))
    return None


def expression_names(source: str) -> set[str]:
    """The variables an expression reads, leaving out the sandbox's globals (`len`, `range`,
    ...). Raises TemplateError or SandboxError when it does not compile."""
    expression = _parse_expression(source)
    found = [expression, *expression.find_all(nodes.Name)]  # find_all skips the root
    names = {n.name for n in found if isinstance(n, nodes.Name) and n.ctx == "load"}
    return names - set(_ENV.globals)


def template_names(source: str) -> set[str]:
    """The variables a template reads from outside (not its own loop or `set` names),
    leaving out the sandbox's globals. Raises TemplateError or SandboxError when it does
    not compile."""
    return meta.find_undeclared_variables(_parse_template(source)) - set(_ENV.globals)


def _run_problem(kind: str, source: str, exc: Exception) -> SandboxError:
    if isinstance(exc, SandboxError):
        return exc
    if isinstance(exc, TemplateError):
        where = f" in {_shown(source)}" if kind == "expression" else ""
        return SandboxError(f"{kind} error{where}: {exc}")
    if isinstance(exc, RecursionError):
        return SandboxLimitError(f"{kind} error: macros or loops call each other too deeply")
    if isinstance(exc, MemoryError):
        return SandboxLimitError(f"{kind} error: out of memory")
    return SandboxError(f"{kind} {_shown(source)} failed: {type(exc).__name__}: {exc}")


def render(source: str, variables: dict[str, Any]) -> str:
    """Render a template with the given variables, within the limits of the current scope
    (`sandbox_scope`); errors name the problem and the limit."""
    template = _template(source)
    with rendering() as current:
        try:
            pieces: list[str] = []
            size = 0
            for piece in template.generate(**variables):
                size += len(piece)
                current.check_size(size, "the template's output")
                pieces.append(piece)
            count_run_output(size)
            return "".join(pieces)
        except Exception as exc:
            raise _run_problem("template", source, exc) from None


def evaluate(source: str, variables: dict[str, Any]) -> Any:
    """Evaluate a sandboxed expression such as `score > 0.5 and label == 'spam'`."""
    expression = _expression(source)
    with rendering():
        try:
            return expression(**variables)
        except Exception as exc:
            raise _run_problem("expression", source, exc) from None


def limits() -> SandboxLimits:
    """The limits templates rendered here would use."""
    return current_limits()
