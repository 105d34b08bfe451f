"""The run's Approver in the desktop: opens the approval dialog (window-modal, with
`open()`, never `exec()`) clear of the canvas node it is about, and awaits its answer on a
future, so the loop keeps running."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import QMargins, QObject, QRect, Signal
from PySide6.QtWidgets import QWidget

from desktop.dialogs.approval_dialog import ApprovalDialog
from desktop.dialogs.placement import clear_of
from engine.approvals.model import ApprovalDecision, ApprovalRecord


class DialogApprover(QObject):
    """`Engine(approver=DialogApprover(window))`. Closing the dialog without deciding
    returns None: the request stays pending and the run pauses as waiting_approval."""

    opened = Signal(object)
    """The ApprovalDialog just shown (tests drive it from here)."""

    def __init__(
        self, parent: QWidget, locate: Callable[[str, bool], QRect | None] | None = None
    ) -> None:
        super().__init__(parent)
        self.window = parent
        self.locate = locate
        """`locate(node_id, to_corner)`: the node's rectangle on screen, once it is in view
        (`to_corner`: scrolled to the view's top-left corner); None when not shown."""
        self.dialogs: list[ApprovalDialog] = []

    async def __call__(self, record: ApprovalRecord) -> ApprovalDecision | None:
        dialog = ApprovalDialog(record, self.window)
        future: asyncio.Future[ApprovalDecision | None] = asyncio.get_event_loop().create_future()

        def done(_: int) -> None:
            if not future.done():
                future.set_result(dialog.decision)

        dialog.finished.connect(done)
        self.dialogs.append(dialog)
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
        """Move `dialog` beside the node it is about, so the node stays in sight; if there
        is no room anywhere around the node, scroll it into the view's corner first."""
        if self.locate is None:
            return
        screen = dialog.screen() or self.window.screen()
        frame, inner = dialog.frameGeometry(), dialog.geometry()
        margins = (
            inner.left() - frame.left(),
            inner.top() - frame.top(),
            frame.right() - inner.right(),
            frame.bottom() - inner.bottom(),
        )
        for to_corner in (False, True):
            node = self.locate(dialog.request.node_id, to_corner)
            if node is None:
                return
            # room for a window frame the window manager may add after this
            avoid = node.adjusted(-8, -32, 8, 32)
            left, top, right, bottom = margins
            smallest = dialog.minimumSizeHint().grownBy(QMargins(left, top, right, bottom))
            rect = clear_of(avoid, screen.availableGeometry(), frame.size(), smallest)
            if rect is not None:
                dialog.setGeometry(rect.adjusted(left, top, -right, -bottom))
                return
