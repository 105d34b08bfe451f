"""Unsaved edits survive a crash: while there are unsaved edits a copy is kept in the
recovery folder (after an edit, and every 30 s), written off the GUI thread and removed on
a clean save or close; a window that starts offers the copies no running window holds."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QLockFile, QObject, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.recovery_store import (
    RecoveryEntry,
    list_entries,
    recovery_dir,
    remove_entry,
    write_entry,
)
from engine.errors import WorkflowLoadError
from engine.workflow.document import WorkflowDocument
from engine.workflow.lenient import LenientLoad, loads_lenient
from engine.workflow.loader import dumps_workflow, read_workflow_text
from engine.workflow.model import Workflow

log = logging.getLogger(__name__)

AUTOSAVE_INTERVAL_MS = 30_000
EDIT_SETTLE_MS = 2_000
"""An edit is kept this long after the last one (and at least every interval)."""

Answer = Literal["restore", "discard", "later"]


def _lock(folder: Path, slot: str) -> QLockFile:
    lock = QLockFile(str(folder / f"{slot}.lock"))
    lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
    return lock


class Autosaver(QObject):
    """Keeps this window's unsaved edits in its own slot of the recovery folder."""

    def __init__(
        self,
        document: WorkflowDocument,
        undo_stack: QUndoStack,
        folder: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = undo_stack
        self.folder = folder if folder is not None else recovery_dir()
        self.slot = uuid.uuid4().hex
        self._lock: QLockFile | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[Future[Any]] = []
        self._may_exist = False
        self._clean = undo_stack.isClean()
        """As the stack last said (its signals can come while it is being destroyed)."""
        self._settle = self._timer(EDIT_SETTLE_MS, single=True)
        self._periodic = self._timer(AUTOSAVE_INTERVAL_MS, single=False)
        undo_stack.indexChanged.connect(self._on_edit)
        undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _timer(self, ms: int, *, single: bool) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single)
        timer.setInterval(ms)
        timer.timeout.connect(self.autosave_now)
        return timer

    def _on_edit(self, _index: int = 0) -> None:
        if not self._clean:
            self._settle.start()
            if not self._periodic.isActive():
                self._periodic.start()

    def _on_clean_changed(self, clean: bool) -> None:
        self._clean = clean
        if clean:
            self.discard()
        else:
            self._on_edit()

    def autosave_now(self) -> bool:
        """Queue a copy of the current edits (or, with none, the copy's removal); True when
        a copy was queued."""
        self._settle.stop()
        if self.undo_stack.isClean():
            self.discard()
            return False
        if not self._locked():
            return False
        workflow = self.document.snapshot()  # the worker gets its own copy
        path = self.document.path
        name = workflow.metadata.name
        self._may_exist = True
        self._submit(self._write, workflow, path, name)
        return True

    def _write(self, workflow: Workflow, path: Path | None, name: str) -> None:
        write_entry(self.folder, self.slot, path, name, dumps_workflow(workflow))

    def prepare_save(self) -> None:
        """Parse the document's file text for its next save on this thread, not the GUI's
        (the round-trip parser is slow on a large file)."""
        self._submit(self.document.prepare_source)

    def discard(self) -> None:
        """Remove this window's copy (the edits were saved or dropped)."""
        self._settle.stop()
        self._periodic.stop()
        if self._may_exist:
            self._may_exist = False
            self._submit(remove_entry, self.folder, self.slot)

    def adopt(self, entry: RecoveryEntry) -> None:
        """`entry` was restored into this window: keep it in this window's slot, then
        remove the old copy (in that order, so a crash between keeps one of them)."""
        if self.autosave_now():
            self._submit(remove_entry, self.folder, entry.slot)

    def flush(self) -> None:
        """Wait until every queued write or removal is on disk."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.exception()

    def close(self) -> None:
        """The window closes after its edits were saved or dropped: no copy is kept."""
        self._periodic.stop()
        self.discard()
        self.flush()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _locked(self) -> bool:
        if self._lock is None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log.warning("no autosave: cannot create %s: %s", self.folder, exc)
                return False
            lock = _lock(self.folder, self.slot)
            if not lock.tryLock(0):
                log.warning("no autosave: cannot lock %s", lock.fileName())
                return False
            self._lock = lock
        return True

    def _submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="interlock-autosave")
        future = self._executor.submit(fn, *args)
        future.add_done_callback(_log_failure)
        self._pending = [f for f in self._pending if not f.done()] + [future]


def _log_failure(future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        log.warning("autosave failed: %s", exc)


def recovered(entry: RecoveryEntry) -> LenientLoad:
    """The kept workflow, with its file's text on disk as the source a save keeps the
    layout and comments of (the copy itself is a plain dump, quick to write)."""
    name = entry.path.name.split(".")[0] if entry.path else entry.name
    loaded = loads_lenient(entry.text, name or "Untitled")
    try:
        loaded.text = read_workflow_text(entry.path) if entry.path is not None else None
    except WorkflowLoadError:
        loaded.text = None
    return loaded


class RecoveryOffer:
    """Offers the copies left by windows that ended without saving (their lock is free)."""

    def __init__(self, parent: QWidget, autosaver: Autosaver) -> None:
        self.parent = parent
        self.autosaver = autosaver

    def orphans(self) -> list[tuple[RecoveryEntry, QLockFile]]:
        """Entries no running window holds, newest first, each with its lock now held."""
        folder = self.autosaver.folder
        found: list[tuple[RecoveryEntry, QLockFile]] = []
        for left in folder.glob("*.lock") if folder.is_dir() else []:
            if not (folder / f"{left.stem}.json").exists():  # a copy since removed
                lock = _lock(folder, left.stem)
                if lock.tryLock(0):
                    lock.unlock()  # removes a dead process's lock file
        for entry in list_entries(folder):
            if entry.slot == self.autosaver.slot:
                continue
            lock = _lock(folder, entry.slot)
            if lock.tryLock(0):
                found.append((entry, lock))
        return found

    def offer(self, restore: Callable[[RecoveryEntry], Autosaver | None]) -> RecoveryEntry | None:
        """Ask about each orphaned copy until the user says later; discarded copies are
        removed, restored ones taken over by the autosaver of the document `restore`
        opened them in. Returns the last entry restored."""
        orphans = self.orphans()
        restored: RecoveryEntry | None = None
        try:
            for entry, _lock_held in orphans:
                answer = self.ask(entry)
                if answer == "discard":
                    remove_entry(self.autosaver.folder, entry.slot)
                    continue
                target = restore(entry) if answer == "restore" else None
                if target is None:
                    break
                target.adopt(entry)
                restored = entry
        finally:
            for _entry, lock in orphans:
                lock.unlock()
        return restored

    def ask(self, entry: RecoveryEntry) -> Answer:
        """Restore, Discard or Not now (a method so tests can answer it)."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.written_at))
        text = (
            f"Interlock ended without saving your edits to <b>{_esc(entry.label())}</b>. "
            f"A copy was kept at {when}.<br><br>Restore it as unsaved edits?"
        )
        if not entry.newer_than_file():
            text += (
                "<br><br>The file was changed on disk after the copy was kept: saving the "
                "restored edits would replace that change."
            )
        box = QMessageBox(self.parent)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Recover unsaved edits")
        box.setText(text)
        restore = box.addButton("&Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("&Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("&Not now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.exec()
        clicked = box.clickedButton()
        if clicked is restore:
            return "restore"
        if clicked is discard:
            return "discard"
        return "later"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
