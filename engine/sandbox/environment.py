"""The sandbox's Jinja environment: jinja2's immutable sandbox whose generated code counts
a step per loop iteration and call, and weighs what operators, literals, `~`, filters,
calls and outputs build (see `limits`). An interpolated None, True or False renders as
JSON: null, true, false."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import update_wrapper
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.sandbox.filters import checked_filters
from engine.sandbox.limits import state
from engine.sandbox.operations import BINOPS, CheckedFormatter, binop, check_call

_JSON_CONSTANTS: dict[object, str] = {None: "null", True: "true", False: "false"}


def _finalize(value: Any) -> Any:
    """`{{ x }}`: weighed before it becomes text; None/True/False give null/true/false."""
    if value is None or isinstance(value, bool):
        return _JSON_CONSTANTS[value]
    state().weigh(value, "an interpolated value")
    return value


def _concat(parts: Iterable[str]) -> str:
    """Join rendered pieces (a macro's body, a `set` block), counting as it goes."""
    current = state()
    pieces: list[str] = []
    size = 0
    for piece in parts:
        size += len(piece)
        current.check_size(size, "a rendered block")
        pieces.append(piece)
    return "".join(pieces)


_TICK = "sandbox_tick"


def _is_tick(node: nodes.Node) -> bool:
    return (
        isinstance(node, nodes.ExprStmt)
        and isinstance(node.node, nodes.EnvironmentAttribute)
        and node.node.name == _TICK
    )


class SandboxCodeGenerator(CodeGenerator):
    """Jinja's code generator with the sandbox's steps and size checks in the output."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        body = node.body
        tick = nodes.ExprStmt(nodes.EnvironmentAttribute(_TICK), lineno=node.lineno)
        node.body = [tick, *body]  # a step of the render at the top of every iteration
        try:
            super().visit_For(node, frame)
        finally:
            node.body = body

    def visit_ExprStmt(self, node: nodes.ExprStmt, frame: Frame) -> None:
        if _is_tick(node):
            self.writeline(f"environment.{_TICK}()")
        else:
            super().visit_ExprStmt(node, frame)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.sandbox_sized(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx == "store":
            super().visit_Tuple(node, frame)
            return
        self.write("environment.sandbox_sized(")
        super().visit_Tuple(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.sandbox_sized(")
        super().visit_Dict(node, frame)
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sandbox_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with limits on size and time."""

    code_generator_class = SandboxCodeGenerator
    intercepted_binops = frozenset(BINOPS)
    concat = staticmethod(_concat)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return binop(operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        current = state()
        current.tick()
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"{__obj!r} is not safely callable")
        args = check_call(__obj, args, kwargs)
        result = __context.call(__obj, *args, **kwargs)
        if isinstance(result, str | bytes | list | tuple | dict | set):
            current.weigh(result, "the result of a call")
        return result

    def wrap_str_format(self, value: Any) -> Any:
        """`str.format` and `format_map` through the checked formatter."""
        if not callable(value) or getattr(value, "__name__", "") not in ("format", "format_map"):
            return None
        owner = getattr(value, "__self__", None)
        if not isinstance(owner, str):
            return None
        formatter = CheckedFormatter(self)
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return str(formatter.vformat(owner, args, kwargs))

        return update_wrapper(wrapper, value)

    def sandbox_tick(self) -> None:
        state().tick()

    def sandbox_sized(self, value: Any) -> Any:
        return state().sized(value, "a list or mapping")

    def sandbox_join(self, parts: tuple[Any, ...]) -> str:
        """`a ~ b`: each side weighed before it becomes text."""
        current = state()
        size = 0
        for part in parts:
            size += current.weigh(part)
            current.check_size(size, "a joined string")
        return "".join(str(part) for part in parts)


def build_environment() -> SandboxEnvironment:
    env = SandboxEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.filters = checked_filters(env.filters)
    env.globals.pop("lipsum", None)  # unbounded text on demand; nothing needs it
    env.globals.update({"len": len, "min": min, "max": max, "sorted": sorted})
    return env
