"""The main window's fit on a small screen (1366x768 at 150% scale is 910x512 logical
pixels): dock contents taller or wider than a small bound scroll inside their dock
instead of raising the window's minimum size, and a new window starts within the screen
with room for its frame; on a short screen the first layout gives the canvas and the
inspector the height."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QDockWidget, QFrame, QMainWindow, QScrollArea

SMALL_SCREEN = QSize(1366, 768)
LARGEST_SCALE = 1.5
DOCK_MINIMUM = QSize(180, 90)
"""The most a dock's contents may ask for before they scroll."""


def logical_screen(screen: QSize = SMALL_SCREEN, scale: float = LARGEST_SCALE) -> QSize:
    """The logical pixels of `screen` at `scale`."""
    return QSize(int(screen.width() / scale), int(screen.height() / scale))


def scroll_large_docks(window: QMainWindow, bound: QSize = DOCK_MINIMUM) -> None:
    """Put each dock's contents in a scroll area when their minimum exceeds `bound` (views
    that scroll already are left as they are)."""
    for dock in window.findChildren(QDockWidget):
        contents = dock.widget()
        if contents is None or isinstance(contents, QAbstractScrollArea):
            continue
        wanted = contents.minimumSizeHint()
        if wanted.width() <= bound.width() and wanted.height() <= bound.height():
            continue
        area = QScrollArea()
        area.setObjectName(f"{dock.objectName()}_scroll")
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        dock.setWidget(area)
        area.setWidget(contents)
    layout = window.layout()
    if layout is not None:  # the minimum the window keeps is from before: compute it again
        layout.activate()


FRAME_ALLOWANCE = 40
"""Logical pixels left for the window manager's title bar and border."""
LARGEST_START = QSize(1400, 900)


SHORT_SCREEN = 640
"""Logical height below which the first layout is compact."""
BOTTOM_SHARE = 0.2
"""A compact layout's bottom panels (runs, problems, trace) start at this share of it."""


def start_size(available: QRect) -> QSize:
    """A new window's size on a screen with `available` free area, its frame on screen."""
    height = min(LARGEST_START.height(), available.height() - FRAME_ALLOWANCE)
    return QSize(min(LARGEST_START.width(), available.width()), height)


def fit_to_screen(window: QMainWindow, available: QRect) -> None:
    """Size a new window to the screen's free area, leaving its frame on screen too; on a
    short screen, lay the docks out compactly (a saved layout, restored after, wins)."""
    size = start_size(available)
    window.resize(size)
    if available.height() < SHORT_SCREEN:
        compact_docks(window, size.height())


def compact_docks(window: QMainWindow, height: int) -> None:
    """Approvals joins the Inspector's tabs (a waiting approval still opens its dialog),
    so the inspector has the right side's whole height, and the bottom panels start low."""
    inspector = window.findChild(QDockWidget, "inspector_dock")
    approvals = window.findChild(QDockWidget, "approvals_dock")
    if inspector is not None and approvals is not None:
        window.tabifyDockWidget(inspector, approvals)
        inspector.raise_()
    bottom = [
        dock
        for dock in window.findChildren(QDockWidget)
        if window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
        and not dock.isFloating()
    ]
    if bottom:
        window.resizeDocks(bottom[:1], [int(height * BOTTOM_SHARE)], Qt.Orientation.Vertical)
