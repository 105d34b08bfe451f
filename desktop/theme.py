"""Light and dark themes: follow the system colour scheme (Qt repaints on change), or force
one (screenshots, tests) with the Fusion style and a matching palette."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

Scheme = Literal["system", "light", "dark"]
Role = QPalette.ColorRole

DARK = {
    Role.Window: "#2b2d31",
    Role.WindowText: "#e6e6e6",
    Role.Base: "#1f2023",
    Role.AlternateBase: "#2b2d31",
    Role.ToolTipBase: "#3a3c42",
    Role.ToolTipText: "#f0f0f0",
    Role.Text: "#e6e6e6",
    Role.Button: "#34363c",
    Role.ButtonText: "#e6e6e6",
    Role.BrightText: "#ff6b6b",
    Role.Highlight: "#3d7be0",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#6aa6ff",
    Role.PlaceholderText: "#8b8f98",
    Role.Mid: "#45474e",
    Role.Dark: "#18191b",
    Role.Light: "#45474e",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in DARK.items():
        palette.setColor(role, QColor(color))
    disabled = QColor("#6d7078")
    for role in (Role.Text, Role.WindowText, Role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_scheme(app: QApplication, scheme: Scheme) -> None:
    """`system`: let the platform decide (and follow its changes); else force it."""
    hints = QGuiApplication.styleHints()
    if scheme == "system":
        hints.unsetColorScheme()
        return
    hints.setColorScheme(Qt.ColorScheme.Dark if scheme == "dark" else Qt.ColorScheme.Light)
    app.setStyle("Fusion")
    style = app.style()
    app.setPalette(dark_palette() if scheme == "dark" else style.standardPalette())
