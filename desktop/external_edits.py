"""What the window does when its file changes on disk: reload it when there are no unsaved
edits (keeping the view where it was), else a bar over the canvas asks Reload or Keep mine;
after Keep mine the edits count as unsaved until saved, and saving writes them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.file_watch import FileWatch


class DiskChangeBar(QFrame):
    """A bar above the canvas: "NAME changed on disk." with Reload and Keep mine."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("disk_change_bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#disk_change_bar { background: #fff4ce; border-bottom: 1px solid #d9b84a; }"
            " #disk_change_bar QLabel { color: #3b3000; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 10, 4)
        self.message = QLabel()
        self.message.setObjectName("disk_change_message")
        self.reload_button = QPushButton("&Reload")
        self.reload_button.setObjectName("disk_change_reload")
        self.reload_button.setToolTip("Open the file as it is on disk; your edits are dropped")
        self.keep_button = QPushButton("&Keep mine")
        self.keep_button.setObjectName("disk_change_keep")
        self.keep_button.setToolTip("Keep your version; saving writes it over the file")
        row.addWidget(self.message, 1)
        row.addWidget(self.reload_button)
        row.addWidget(self.keep_button)
        self.hide()

    def ask(self, path: Path) -> None:
        self.message.setText(
            f"<b>{_esc(path.name)}</b> changed on disk, and you have unsaved edits. "
            "Reload it, or keep your version?"
        )
        self.show()


def with_bar(bar: QWidget, content: QWidget) -> QWidget:
    """`content` with `bar` above it, as one central widget."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(bar)
    column.addWidget(content, 1)
    return box


@contextmanager
def view_kept(view: QGraphicsView) -> Iterator[None]:
    """Whatever happens inside (a reload), the view keeps its zoom and scroll position."""
    transform = view.transform()
    h, v = view.horizontalScrollBar().value(), view.verticalScrollBar().value()
    yield
    view.setTransform(transform)
    view.horizontalScrollBar().setValue(h)
    view.verticalScrollBar().setValue(v)


class ExternalEdits:
    """Connects a FileWatch to the window's document: `reload` opens the file from disk
    again, `hint` shows a line in the status bar."""

    def __init__(
        self,
        watch: FileWatch,
        bar: DiskChangeBar,
        undo_stack: QUndoStack,
        reload: Callable[[], None],
        hint: Callable[[str], None],
    ) -> None:
        self.watch = watch
        self.bar = bar
        self._undo_stack = undo_stack
        self._reload = reload
        self._hint = hint
        watch.changed.connect(self._on_changed)
        watch.missing.connect(self._on_missing)
        bar.reload_button.clicked.connect(self.reload)
        bar.keep_button.clicked.connect(self.keep_mine)

    def _on_changed(self, path: Path) -> None:
        if self._undo_stack.isClean():
            self.reload()
            self._hint(f"{path.name} changed on disk: reloaded")
        else:
            self.bar.ask(path)

    def _on_missing(self, path: Path) -> None:
        self._hint(f"{path.name} was moved or deleted on disk; Save writes it again")

    def reload(self) -> None:
        self.bar.hide()
        self._reload()
        self.watch.accept_disk()

    def keep_mine(self) -> None:
        self.bar.hide()
        self.watch.accept_disk()
        self._undo_stack.resetClean()  # differs from the file until saved, even after undo

    def tracked(self, path: Path | None, content: str | None = None) -> None:
        """The window now shows `path` (opened, reloaded or saved with `content`)."""
        self.bar.hide()
        self.watch.track(path, content)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
