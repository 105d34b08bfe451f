"""Where bundled files live (icons, examples) and small lookups over them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QIcon

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
ICONS = RESOURCES / "icons"
EXAMPLE = RESOURCES / "examples" / "hello.interlock.yaml"

KIND_COLORS: dict[str, str] = {
    "input": "#2e9e6a",
    "output": "#d9822b",
    "template": "#7a5fd0",
    "llm": "#3b7dd8",
    "branch": "#c2453d",
    "join": "#1f9aa6",
    "map": "#b0568f",
    "loop": "#8a6d1f",
    "subworkflow": "#6f7d8c",
    "agent": "#2f6fb3",
    "approval": "#c98a1b",
    "tool": "#5f7f3a",
}


@cache
def icon(name: str) -> QIcon:
    """The SVG icon `name`, or the generic node icon when there is none."""
    path = ICONS / f"{name}.svg"
    if not path.is_file():
        path = ICONS / "node.svg"
    return QIcon(str(path))


def kind_color(icon_name: str) -> QColor:
    return QColor(KIND_COLORS.get(icon_name, "#808a96"))
