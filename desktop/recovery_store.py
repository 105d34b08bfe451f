"""The recovery folder (`<data dir>/recovery`): one JSON file per window with unsaved edits,
holding the text a save would write and the file it belongs to. Written atomically (temp
file, fsync, rename); never beside the user's file, never in the database."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATA_DIR_ENV = "INTERLOCK_DATA_DIR"
MAX_ENTRY_BYTES = 8 * 1024 * 1024


def recovery_dir() -> Path:
    """`$INTERLOCK_DATA_DIR/recovery`, else the recovery folder in the app data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser() / "recovery"
    import platformdirs

    return Path(platformdirs.user_data_dir("Interlock", appauthor=False)) / "recovery"


@dataclass(frozen=True)
class RecoveryEntry:
    """Unsaved edits kept for `path` (None: an untitled workflow named `name`)."""

    slot: str
    path: Path | None
    name: str
    text: str
    written_at: float
    """Seconds since the epoch."""

    def newer_than_file(self) -> bool:
        """True when the file is missing or last changed before these edits were kept."""
        if self.path is None:
            return True
        try:
            return self.path.stat().st_mtime <= self.written_at
        except OSError:
            return True

    def label(self) -> str:
        return str(self.path) if self.path is not None else f"{self.name} (never saved)"


def entry_file(folder: Path, slot: str) -> Path:
    return folder / f"{slot}.json"


def write_entry(folder: Path, slot: str, path: Path | None, name: str, text: str) -> Path:
    """Keep `text` for `path`, replacing this slot's earlier copy in one rename."""
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "path": str(path) if path is not None else None,
        "name": name,
        "text": text,
        "written_at": time.time(),
    }
    target = entry_file(folder, slot)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(record, out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(target)
    return target


def remove_entry(folder: Path, slot: str) -> None:
    entry_file(folder, slot).unlink(missing_ok=True)


def read_entry(file: Path) -> RecoveryEntry | None:
    """The entry in `file`; None (logged) when it cannot be read."""
    try:
        with file.open("rb") as raw:
            data: Any = json.loads(raw.read(MAX_ENTRY_BYTES + 1))
        path, name, text = data.get("path"), data.get("name"), data.get("text")
        written_at = float(data.get("written_at", 0))
        if not isinstance(text, str) or not isinstance(name, str):
            raise ValueError("no text or name")
        if path is not None and not isinstance(path, str):
            raise ValueError("bad path")
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        log.warning("skipping recovery file %s: %s", file, exc)
        return None
    return RecoveryEntry(file.stem, Path(path) if path else None, name, text, written_at)


def list_entries(folder: Path) -> list[RecoveryEntry]:
    """Every readable entry, newest first."""
    if not folder.is_dir():
        return []
    entries = [e for f in folder.glob("*.json") if (e := read_entry(f)) is not None]
    return sorted(entries, key=lambda e: e.written_at, reverse=True)
