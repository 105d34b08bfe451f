"""Settings: data folder, default concurrency, offline by default, theme — persisted in
QSettings; `AppSettings` reads them back and `apply_theme` applies the theme."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop import file_dialogs
from desktop.run.qt import named

THEMES = ("system", "light", "dark")
DATA_DIR_ENV = "INTERLOCK_DATA_DIR"


def _bool(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


@dataclass
class AppSettings:
    data_dir: str = ""
    concurrency: int = 0
    """0: each workflow's own `max_parallelism`."""
    offline: bool = False
    theme: str = "system"

    @classmethod
    def load(cls, settings: QSettings) -> AppSettings:
        theme = str(settings.value("settings/theme", "system"))
        try:
            concurrency = int(str(settings.value("settings/concurrency", 0)))
        except ValueError:
            concurrency = 0
        return cls(
            data_dir=str(settings.value("settings/data_dir", "") or ""),
            concurrency=max(0, concurrency),
            offline=_bool(settings.value("settings/offline", False)),
            theme=theme if theme in THEMES else "system",
        )

    def save(self, settings: QSettings) -> None:
        settings.setValue("settings/data_dir", self.data_dir)
        settings.setValue("settings/concurrency", self.concurrency)
        settings.setValue("settings/offline", self.offline)
        settings.setValue("settings/theme", self.theme)


def apply_data_dir(values: AppSettings) -> None:
    """Use the chosen data folder unless the environment already names one (tests, CI)."""
    if values.data_dir and not os.environ.get(DATA_DIR_ENV):
        os.environ[DATA_DIR_ENV] = values.data_dir


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, c in (
        (role.Window, "#2b2d31"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1f2023"),
        (role.AlternateBase, "#2b2d31"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#35373c"),
        (role.ButtonText, "#e6e6e6"),
        (role.Highlight, "#3b82f6"),
        (role.HighlightedText, "#ffffff"),
        (role.ToolTipBase, "#35373c"),
        (role.ToolTipText, "#e6e6e6"),
        (role.PlaceholderText, "#8a8d93"),
        (role.Link, "#6aa3ff"),
    ):
        p.setColor(r, QColor(c))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7d8087"))
    return p


def apply_theme(theme: str) -> None:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return
    hints = app.styleHints()
    if theme == "dark":
        hints.setColorScheme(Qt.ColorScheme.Dark)
        app.setPalette(dark_palette())
    elif theme == "light":
        hints.setColorScheme(Qt.ColorScheme.Light)
        app.setPalette(QPalette(QColor("#efefef")))
    else:
        hints.unsetColorScheme()
        app.setPalette(QPalette())


class SettingsDialog(QDialog):
    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settings_dialog")
        self.settings = settings
        values = AppSettings.load(settings)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.data_dir = named(QLineEdit(values.data_dir), "data_dir")
        self.data_dir.setPlaceholderText(os.environ.get(DATA_DIR_ENV, "platform default"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.data_dir, 1)
        row.addWidget(browse)
        form.addRow("Data folder", row)
        note = QLabel("Runs database and imported models; takes effect on the next start.")
        note.setEnabled(False)
        form.addRow("", note)
        self.concurrency = named(QSpinBox(), "concurrency")
        self.concurrency.setRange(0, 256)
        self.concurrency.setSpecialValueText("workflow default")
        self.concurrency.setValue(values.concurrency)
        form.addRow("Default concurrency", self.concurrency)
        self.offline = named(QCheckBox("Start offline (no remote endpoints)"), "offline")
        self.offline.setChecked(values.offline)
        form.addRow("Network", self.offline)
        self.theme = named(QComboBox(), "theme")
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(values.theme)
        form.addRow("Theme", self.theme)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> AppSettings:
        return AppSettings(
            self.data_dir.text().strip(),
            self.concurrency.value(),
            self.offline.isChecked(),
            self.theme.currentText(),
        )

    def _browse(self) -> None:
        path = file_dialogs.existing_directory(self, "Data folder", self.data_dir.text())
        if path:
            self.data_dir.setText(path)

    def accept(self) -> None:
        self.values().save(self.settings)
        super().accept()
