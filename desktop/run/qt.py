"""Small Qt helpers shared by the run UI's widgets."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject

W = TypeVar("W", bound=QObject)


def named(obj: W, name: str) -> W:
    """`obj` with its objectName set (tests and style sheets find widgets by name)."""
    obj.setObjectName(name)
    return obj
