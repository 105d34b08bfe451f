"""The app's top-level window: documents (each a whole `MainWindow` with its own canvas,
undo history, docks and runs) as tabs of one window. The tab bar shows once a second
document opens (Open Subworkflow); the window's title follows the current tab, closing a
tab asks that document about unsaved edits, and closing the window asks every tab."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from desktop.main_window import MainWindow
from desktop.resources import icon
from desktop.window_fit import start_size

GEOMETRY_KEY = "window/geometry"


class WindowTabs(QWidget):
    """One window holding `MainWindow`s as tabs."""

    def __init__(self, settings: QSettings) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowIcon(icon("interlock"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("document_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setTabBarAutoHide(True)  # one document looks like a plain window
        self.tabs.setElideMode(Qt.TextElideMode.ElideMiddle)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.tabs.currentChanged.connect(self._sync_title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._closing = False
        for keys, step in (
            (QKeySequence.StandardKey.NextChild, 1),
            ("Ctrl+PgDown", 1),
            (QKeySequence.StandardKey.PreviousChild, -1),
            ("Ctrl+PgUp", -1),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda step=step: self.step(step))
        self.resize(start_size(self.screen().availableGeometry()))
        geometry = settings.value(GEOMETRY_KEY)
        if geometry is not None:
            self.restoreGeometry(geometry)

    # -- documents -------------------------------------------------------------------------

    def documents(self) -> list[MainWindow]:
        found = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [w for w in found if isinstance(w, MainWindow)]

    def current(self) -> MainWindow | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, MainWindow) else None

    def add(self, document: MainWindow) -> MainWindow:
        """Add `document` as the last tab and show it."""
        document.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        document.installEventFilter(self)
        document.closed.connect(self._forget)
        index = self.tabs.addTab(document, document.windowIcon(), document.tab_label())
        self._sync_tab(document)
        self.tabs.setCurrentIndex(index)
        return document

    def show_document(self, document: MainWindow) -> None:
        """Make `document`'s tab current and the window active."""
        self.tabs.setCurrentWidget(document)
        self.raise_()
        self.activateWindow()

    def step(self, by: int) -> None:
        """The next (1) or previous (-1) tab, wrapping round."""
        count = self.tabs.count()
        if count > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + by) % count)

    def _close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is not None:
            self.tabs.setCurrentIndex(index)  # a question about unsaved edits shows it
            widget.close()

    # -- title and tab labels -----------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, MainWindow) and event.type() in (
            QEvent.Type.WindowTitleChange,
            QEvent.Type.ModifiedChange,
        ):
            self._sync_tab(watched)
        return False

    def _sync_tab(self, document: MainWindow) -> None:
        index = self.tabs.indexOf(document)
        if index < 0:
            return
        self.tabs.setTabText(index, document.tab_label())
        self.tabs.setTabToolTip(index, document.tab_tooltip())
        if document is self.tabs.currentWidget():
            self._sync_title()

    def _sync_title(self, *_: object) -> None:
        document = self.current()
        if document is not None:
            self.setWindowTitle(document.windowTitle())
            self.setWindowModified(document.isWindowModified())

    def _forget(self, document: MainWindow) -> None:
        """`document` closed: drop its tab, and the window with the last one."""
        document.removeEventFilter(self)
        document.closed.disconnect(self._forget)
        index = self.tabs.indexOf(document)
        if index >= 0:
            self.tabs.removeTab(index)
        if self.tabs.count() == 0 and not self._closing:
            self.close()

    # -- closing ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Close every tab, current first; one that refuses (Cancel) keeps the window."""
        self._closing = True
        try:
            current = self.current()
            order = self.documents()
            if current is not None:
                order.remove(current)
                order.insert(0, current)
            for document in order:
                self.tabs.setCurrentWidget(document)
                if not document.close():
                    event.ignore()
                    return
        finally:
            self._closing = False
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        event.accept()


def tabs_of(widget: QWidget) -> WindowTabs | None:
    """The WindowTabs `widget` is a document of, if any."""
    top = widget.window()
    return top if isinstance(top, WindowTabs) else None


def bring_forward(document: QWidget) -> None:
    """Show `document`'s tab (an approval dialog for a run of a tab in the back)."""
    tabs = tabs_of(document)
    if tabs is not None:
        tabs.tabs.setCurrentWidget(document)


def in_tabs(document: MainWindow) -> WindowTabs:
    """The WindowTabs holding `document`; a window of its own is moved into a new one at
    its place and size first."""
    tabs = tabs_of(document)
    if tabs is not None:
        return tabs
    shown, geometry = document.isVisible(), document.geometry()
    tabs = WindowTabs(document.settings)
    tabs.add(document)
    if shown:
        tabs.setGeometry(geometry)
        tabs.show()
    return tabs
