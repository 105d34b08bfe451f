"""Where `local_models` keeps durable data (assembled models, the catalog)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "INTERLOCK_DATA_DIR"
"""Environment variable overriding the app data directory (tests, portable installs)."""


def default_data_dir() -> Path:
    """The app data dir: `$INTERLOCK_DATA_DIR` if set, else the platform's user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("Interlock", appauthor=False))


def models_dir(data_dir: Path | None = None) -> Path:
    """`<data dir>/models`, where model files and `catalog.json` live."""
    return (data_dir if data_dir is not None else default_data_dir()) / "models"
