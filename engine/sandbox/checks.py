"""What is checked before a template or expression is compiled: how deeply its brackets,
blocks and operators nest (so the parser and Python's compiler never recurse too far), and
that no constant part of it builds an oversized value (checked when a workflow is validated)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, nodes

from engine.sandbox.limits import SandboxLimitError, SandboxLimits, rendering
from engine.sandbox.operations import BINOPS, binop

_BLOCKS = frozenset(
    {"for", "if", "macro", "call", "filter", "block", "with", "autoescape", "trans"}
)
_UNARY = frozenset({"-", "+", "not"})


def check_nesting(env: Environment, source: str, state: str | None, limits: SandboxLimits) -> None:
    """Brackets, blocks and runs of unary operators nest at most `limits.max_nesting` deep.
    Reads tokens only (jinja's lexer does not recurse). Raises SandboxLimitError."""
    most = limits.max_nesting
    brackets = blocks = unary = 0
    after_block_begin = inline_set = open_set = False
    for lineno, token, value in env.lexer.tokeniter(source, None, state=state):
        if token == "whitespace":
            continue
        word = value if token in ("name", "operator") else None
        unary = unary + 1 if word in _UNARY else 0
        if unary > most:
            raise SandboxLimitError(f"more than {most} unary operators in a row (line {lineno})")
        if token == "operator" and value in "([{":
            brackets += 1
            if brackets > most:
                raise SandboxLimitError(
                    f"brackets nested deeper than {most} levels (line {lineno})"
                )
        elif token == "operator" and value in ")]}":
            brackets -= 1
        elif token == "operator" and value == "=" and open_set:
            inline_set = True
        if after_block_begin and token == "name":
            if value in _BLOCKS:
                blocks += 1
            elif value.startswith("end"):
                blocks -= 1
            open_set, inline_set = value == "set", False
        if token == "block_end" and open_set:
            blocks += 0 if inline_set else 1
            open_set = False
        if blocks > most:
            raise SandboxLimitError(f"blocks nested deeper than {most} levels (line {lineno})")
        after_block_begin = token == "block_begin"


def check_depth(root: nodes.Node, limits: SandboxLimits) -> None:
    """Expressions (operators, filters, calls, attribute chains) nest at most
    `limits.max_expression_depth` deep. Raises SandboxLimitError."""
    most = limits.max_expression_depth
    stack: list[tuple[nodes.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, nodes.Expr):
            depth += 1
            if depth > most:
                raise SandboxLimitError(
                    f"expression nested deeper than {most} levels (line {node.lineno})"
                )
        stack.extend((child, depth) for child in node.iter_child_nodes())


class _Unknown:
    """Not a constant: depends on a variable, a call or a filter."""


_UNKNOWN = _Unknown()


def check_constants(root: nodes.Node) -> None:
    """Evaluate the constant parts (`'a' * 10**10`, `[0] * 9**9`) with the sandbox's
    operators, so one that goes past a limit is reported before the workflow runs."""
    with rendering():
        _fold(root)


def _fold(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.List) or (isinstance(node, nodes.Tuple) and node.ctx == "load"):
        items = [_fold(item) for item in node.items]
        if any(item is _UNKNOWN for item in items):
            return _UNKNOWN
        return items if isinstance(node, nodes.List) else tuple(items)
    if isinstance(node, nodes.BinExpr) and node.operator in BINOPS:
        left, right = _fold(node.left), _fold(node.right)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        return _constant(node.operator, left, right, node.lineno)
    for child in node.iter_child_nodes():
        _fold(child)
    return _UNKNOWN


def _constant(operator: str, left: Any, right: Any, lineno: int) -> Any:
    try:
        return binop(operator, left, right)
    except SandboxLimitError as exc:
        raise SandboxLimitError(f"{exc} (constant expression, line {lineno})") from None
    except Exception:  # a type or arithmetic error shows when the template runs
        return _UNKNOWN
