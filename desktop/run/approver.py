"""The run's Approver in the desktop: opens the approval dialog (window-modal, with
`open()`, never `exec()`) clear of the canvas node it is about, and awaits its answer on a
future, so the loop keeps running."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from desktop.dialogs.approval_dialog import ApprovalDialog
from desktop.dialogs.placement import Locate, place_clear_of_node
from engine.approvals.model import ApprovalDecision, ApprovalRecord


class DialogApprover(QObject):
    """`Engine(approver=DialogApprover(window))`. Closing the dialog without deciding
    returns None: the request stays pending and the run pauses as waiting_approval."""

    opened = Signal(object)
    """The ApprovalDialog just shown (tests drive it from here)."""

    def __init__(self, parent: QWidget, locate: Locate | None = None) -> None:
        super().__init__(parent)
        self.window = parent
        self.locate = locate
        self.dialogs: list[ApprovalDialog] = []

    async def __call__(self, record: ApprovalRecord) -> ApprovalDecision | None:
        dialog = ApprovalDialog(record, self.window)
        future: asyncio.Future[ApprovalDecision | None] = asyncio.get_event_loop().create_future()

        def done(_: int) -> None:
            if not future.done():
                future.set_result(dialog.decision)

        dialog.finished.connect(done)
        self.dialogs.append(dialog)
        from desktop.window_tabs import bring_forward  # it imports the window, which imports us

        bring_forward(self.window)  # a run of a tab in the back asks in front
        dialog.open()
        self.place(dialog)
        self.opened.emit(dialog)
        try:
            return await future
        finally:  # decided, closed, or cancelled (deadline passed, run stopped)
            self.dialogs.remove(dialog)
            dialog.finished.disconnect(done)
            if dialog.isVisible():
                dialog.reject()
            dialog.deleteLater()

    def place(self, dialog: ApprovalDialog) -> None:
        """Move `dialog` beside the node it is about, so the node stays in sight."""
        if self.locate is not None:
            place_clear_of_node(dialog, dialog.request.node_id, self.locate)
