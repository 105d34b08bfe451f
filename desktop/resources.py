"""Where bundled files live (icons, examples) and small lookups over them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QIcon

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
ICONS = RESOURCES / "icons"
EXAMPLES = RESOURCES / "examples"
EXAMPLE = EXAMPLES / "hello.interlock.yaml"

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


def examples() -> list[Path]:
    """The bundled example workflows, the first-run one first: each folder's workflow
    named after the folder (or its only one), never the child workflows it runs."""
    found = [EXAMPLE]
    for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        own = folder / f"{folder.name}.interlock.yaml"
        files = [own] if own.is_file() else sorted(folder.glob("*.interlock.yaml"))[:1]
        found += files
    return found


def example_title(path: Path) -> str:
    """A card's title for an example file: its name in words."""
    return path.name.split(".")[0].replace("_", " ").capitalize()
