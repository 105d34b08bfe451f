"""The app's file dialogs: Qt's own dialog with an icon provider that names and draws files
by their suffix, so listing a folder never opens a file in it. (The default provider
sniffs a file's content for its type; closing that descriptor of the runs database would
drop every SQLite lock this process holds on it, and a CLI could then delete its WAL.)"""

from __future__ import annotations

from PySide6.QtCore import QFileInfo
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QStyle, QWidget

from desktop.resources import icon

WORKFLOW_SUFFIXES = ("interlock.yaml", "yaml", "yml")
Picked = tuple[str, str]
"""(path, the selected name filter); ("", "") when cancelled, like Qt's static functions."""


class NameIconProvider(QAbstractFileIconProvider):
    """Icons and type names from a file's name and kind (file or folder) alone. Icons are
    made once on the GUI thread: Qt asks for them from its file-info thread too."""

    def __init__(self) -> None:
        super().__init__()
        style = QApplication.style()
        SP = QStyle.StandardPixmap
        self._folder = style.standardIcon(SP.SP_DirIcon)
        self._file = style.standardIcon(SP.SP_FileIcon)
        self._drive = style.standardIcon(SP.SP_DriveHDIcon)
        self._computer = style.standardIcon(SP.SP_ComputerIcon)
        self._workflow = icon("interlock")

    def icon(self, what: QAbstractFileIconProvider.IconType | QFileInfo) -> QIcon:
        if isinstance(what, QFileInfo):
            if what.isRoot():
                return QIcon(self._drive)
            if what.isDir():
                return QIcon(self._folder)
            if what.completeSuffix().lower().endswith(WORKFLOW_SUFFIXES):
                return QIcon(self._workflow)
            return QIcon(self._file)
        Type = QAbstractFileIconProvider.IconType
        if what == Type.Folder:
            return QIcon(self._folder)
        if what in (Type.Computer, Type.Drive, Type.Network):
            return QIcon(self._computer if what == Type.Computer else self._drive)
        return QIcon(self._file)

    def type(self, info: QFileInfo) -> str:
        if info.isDir():
            return "Folder"
        suffix = info.suffix()
        return f"{suffix.upper()} file" if suffix else "File"


_provider: NameIconProvider | None = None


def icon_provider() -> NameIconProvider:
    """The one provider every dialog shares (it lives as long as the application)."""
    global _provider
    if _provider is None:
        _provider = NameIconProvider()
    return _provider


def file_dialog(
    parent: QWidget | None,
    caption: str,
    directory: str = "",
    filter: str = "",
    *,
    mode: QFileDialog.FileMode = QFileDialog.FileMode.ExistingFile,
    accept: QFileDialog.AcceptMode = QFileDialog.AcceptMode.AcceptOpen,
) -> QFileDialog:
    """A non-native dialog that never reads the files it lists (see the module doc)."""
    dialog = QFileDialog(parent, caption, directory, filter)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setIconProvider(icon_provider())
    dialog.setFileMode(mode)
    dialog.setAcceptMode(accept)
    return dialog


def _pick(dialog: QFileDialog) -> Picked:
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.selectedFiles():
            return dialog.selectedFiles()[0], dialog.selectedNameFilter()
        return "", ""
    finally:
        dialog.deleteLater()


def open_file_name(
    parent: QWidget | None, caption: str, directory: str = "", filter: str = ""
) -> Picked:
    """Like `QFileDialog.getOpenFileName`."""
    return _pick(file_dialog(parent, caption, directory, filter))


def save_file_name(
    parent: QWidget | None, caption: str, directory: str = "", filter: str = ""
) -> Picked:
    """Like `QFileDialog.getSaveFileName` (asks before replacing a file)."""
    dialog = file_dialog(
        parent,
        caption,
        directory,
        filter,
        mode=QFileDialog.FileMode.AnyFile,
        accept=QFileDialog.AcceptMode.AcceptSave,
    )
    return _pick(dialog)


def existing_directory(parent: QWidget | None, caption: str, directory: str = "") -> str:
    """Like `QFileDialog.getExistingDirectory`."""
    dialog = file_dialog(parent, caption, directory, mode=QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    return _pick(dialog)[0]
