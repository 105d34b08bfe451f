"""Checks one workflow-wide section (metadata, an input declaration, the policy) on its
own, with the messages the file loader gives for the same value in a file."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.workflow.plain_errors import plain_errors

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


class SectionInvalid(ValueError):
    """A section's value the file would refuse; `messages` as the loader words them."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def located_messages(exc: ValidationError, prefix: Loc = ()) -> list[tuple[Loc, str]]:
    """Each error's place in the file and its message, `where: what`."""
    found: list[tuple[Loc, str]] = []
    for inner, message in plain_errors(exc):
        loc = (*prefix, *inner)
        where = ".".join(str(p) for p in loc) or "(top level)"
        found.append((loc, f"{where}: {message}"))
    return found


def check_section(model: type[M], data: Any, where: Loc) -> M:
    """`data` as a `model` found at `where` in a workflow file. Raises SectionInvalid."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SectionInvalid([m for _, m in located_messages(exc, where)]) from None
