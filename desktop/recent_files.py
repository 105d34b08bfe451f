"""The File ▸ Open Recent list: the last workflow files opened or saved, kept in the
settings, newest first, and the menu that reopens them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu

MAX_RECENT = 10
KEY = "recent_files"


class RecentFiles:
    def __init__(self, settings: QSettings, menu: QMenu, open_path: Callable[[str], object]):
        self.settings = settings
        self.menu = menu
        self._open_path = open_path
        self.rebuild()

    def files(self) -> list[str]:
        value = self.settings.value(KEY, [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list | tuple) else []

    def remember(self, path: Path) -> None:
        entry = str(path.resolve())
        files = [entry, *(f for f in self.files() if f != entry)][:MAX_RECENT]
        self.settings.setValue(KEY, files)
        self.rebuild()

    def rebuild(self) -> None:
        self.menu.clear()
        for path in self.files():
            action = self.menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(partial(self._open_path, path))
        self.menu.setEnabled(bool(self.files()))
