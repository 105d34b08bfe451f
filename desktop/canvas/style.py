"""Canvas colours and sizes, derived from the application palette so light and dark
system themes both read well."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QPainter, QPalette

NODE_WIDTH = 200.0
HEADER_HEIGHT = 44.0
PORT_ROW = 22.0
PORT_RADIUS = 5.5
CORNER = 7.0
GRID = 20.0
LOD_TEXT = 0.45
"""Below this zoom (level of detail) nodes are drawn as blocks: no text, icons or ports."""
LOD_BLOCK_TITLE = 0.2
"""Down to this zoom a block still shows its title, in a font that stays legible on
screen (a whole example fitted in the window is still read by its titles)."""
BLOCK_TITLE_PX = 11.0
"""The block title's height on screen, in pixels."""

STATE_COLORS: dict[str, str] = {
    "queued": "#8a94a3",
    "running": "#3b82f6",
    "succeeded": "#22a559",
    "cached": "#14a3a3",
    "failed": "#e0413a",
    "skipped": "#9aa0a6",
}

TYPE_COLORS: dict[str, str] = {
    "string": "#5aa469",
    "number": "#d08a2e",
    "integer": "#d0a52e",
    "boolean": "#c2453d",
    "object": "#6a7fd6",
    "array": "#a05bc4",
    "null": "#8a8a8a",
    "any": "#8f9bab",
}


@dataclass(frozen=True, slots=True)
class CanvasColors:
    background: QColor
    grid_minor: QColor
    grid_major: QColor
    node_body: QColor
    node_header: QColor
    node_border: QColor
    text: QColor
    subtext: QColor
    edge: QColor
    selection: QColor
    error: QColor
    dark: bool
    badge: QColor
    frame: QColor
    note: QColor


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


_cache: dict[int, CanvasColors] = {}


def colors(palette: QPalette | None = None) -> CanvasColors:
    """The canvas colours for `palette` (default: the application's), cached per palette."""
    palette = palette or QGuiApplication.palette()
    key = palette.cacheKey()
    cached = _cache.get(key)
    if cached is None:
        if len(_cache) > 16:
            _cache.clear()
        cached = _cache[key] = _colors(palette)
    return cached


def _colors(palette: QPalette) -> CanvasColors:
    dark = is_dark(palette)
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    background = base.darker(112) if not dark else base.lighter(108)
    return CanvasColors(
        background=background,
        grid_minor=_mix(background, text, 0.05),
        grid_major=_mix(background, text, 0.10),
        node_body=base if not dark else base.lighter(135),
        node_header=_mix(base, text, 0.05) if not dark else base.lighter(160),
        node_border=_mix(background, text, 0.28),
        text=text,
        subtext=_mix(base, text, 0.6),
        edge=_mix(background, text, 0.5),
        badge=QColor("#e0413a"),
        frame=_mix(background, text, 0.08),
        note=QColor("#fff3b0") if not dark else QColor("#5c5326"),
        selection=palette.color(QPalette.ColorRole.Highlight),
        error=QColor("#e0413a"),
        dark=dark,
    )


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


_fonts: dict[str, QFont] = {}


def reset_caches() -> None:
    """Forget cached colours and fonts (after a theme or font change)."""
    _cache.clear()
    _fonts.clear()


def title_font() -> QFont:
    font = _fonts.get("title")
    if font is None:
        font = _fonts["title"] = QFont(QGuiApplication.font())
        font.setBold(True)
    return font


def block_title_font(lod: float) -> QFont:
    """The title font of a node drawn as a block at zoom `lod`: BLOCK_TITLE_PX tall on
    screen, never taller than the header."""
    font = QFont(title_font())
    font.setPixelSize(max(1, round(min(HEADER_HEIGHT * 0.7, BLOCK_TITLE_PX / lod))))
    return font


def small_font() -> QFont:
    font = _fonts.get("small")
    if font is None:
        font = _fonts["small"] = QFont(QGuiApplication.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    return font


def paint_block_title(
    painter: QPainter, metrics: QFontMetricsF, top_left: QPointF, title: str
) -> None:
    """A block's title in its header (font and pen already set on `painter`), elided."""
    box = QRectF(top_left.x() + 8, top_left.y(), NODE_WIDTH - 16, HEADER_HEIGHT)
    text = metrics.elidedText(title, Qt.TextElideMode.ElideRight, box.width())
    painter.drawText(box, Qt.AlignmentFlag.AlignVCenter, text)
