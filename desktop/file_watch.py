"""Noticing that the open workflow file changed on disk: a watch on the file and its folder
(an editor that saves by renaming a new file over it drops the file's watch, which is put
back), and a content check, so the window's own saves and touches without a change pass."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from engine.readfile import read_regular_file
from engine.workflow.loader import MAX_FILE_BYTES

log = logging.getLogger(__name__)

SETTLE_MS = 150
"""Editors write in steps (truncate, write, rename): look once they have settled."""


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def disk_digest(path: Path) -> str | None:
    """The digest of the file's content now; None when it is gone or cannot be read."""
    try:
        return digest(read_regular_file(path, MAX_FILE_BYTES + 1))
    except OSError:
        return None


class FileWatch(QObject):
    """Watches one file. `changed` fires once per new content that differs from the content
    the window knows (what it opened or saved); `missing` when the file is gone."""

    changed = Signal(Path)
    missing = Signal(Path)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self._known: str | None = None
        self._reported: str | None = None
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_disk_event)
        self._watcher.directoryChanged.connect(self._on_disk_event)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.check)

    def track(self, path: Path | None, content: str | None = None) -> None:
        """Watch `path` (None: nothing). `content`: the text the window has just written
        there; else the file is read now and its content is what the window knows."""
        self._unwatch()
        self.path = path
        self._reported = None
        if path is None:
            self._known = None
            return
        self._known = digest(content.encode("utf-8")) if content is not None else disk_digest(path)
        self._watch()

    def accept_disk(self) -> None:
        """The window has seen what is on disk now (reloaded it, or chose to keep its own
        version): only a later change is reported."""
        if self.path is not None:
            self._known = disk_digest(self.path)
            self._reported = None

    def check(self) -> None:
        """Compare the file with what the window knows, now; re-watch a replaced file."""
        self._settle.stop()
        if self.path is None:
            return
        self._watch()
        now = disk_digest(self.path)
        if now is None:
            if self._reported != "missing" and self._known is not None:
                self._reported = "missing"
                self.missing.emit(self.path)
            return
        if now != self._known and now != self._reported:
            self._reported = now
            log.info("%s changed on disk", self.path)
            self.changed.emit(self.path)

    def watching(self) -> list[str]:
        """The paths watched now: the file (while it exists) and its folder."""
        return [*self._watcher.files(), *self._watcher.directories()]

    def _on_disk_event(self, _path: str) -> None:
        self._settle.start()

    def _watch(self) -> None:
        assert self.path is not None
        watched = set(self._watcher.files()) | set(self._watcher.directories())
        wanted = [str(self.path.parent)]
        if self.path.is_file():
            wanted.append(str(self.path))
        missing = [p for p in wanted if p not in watched]
        if missing:
            self._watcher.addPaths(missing)

    def _unwatch(self) -> None:
        paths = self._watcher.files() + self._watcher.directories()
        if paths:
            self._watcher.removePaths(paths)
