"""Undo commands for workflow-wide settings: metadata, declared inputs, the policy."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from engine.workflow.document import WorkflowDocument
from engine.workflow.model import InputDecl, Metadata, WorkflowPolicy


class SetMetadataCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, metadata: Metadata, label: str = "") -> None:
        super().__init__(f"Edit workflow {label or 'metadata'}")
        self.document = document
        self.old = document.workflow.metadata.model_copy(deep=True)
        self.new = metadata.model_copy(deep=True)

    def redo(self) -> None:
        self.document.set_metadata(self.new)

    def undo(self) -> None:
        self.document.set_metadata(self.old)


class SetWorkflowPolicyCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, policy: WorkflowPolicy, label: str = "") -> None:
        super().__init__(f"Edit workflow policy{f' ({label})' if label else ''}")
        self.document = document
        self.old = document.workflow.policy.model_copy(deep=True)
        self.new = policy.model_copy(deep=True)

    def redo(self) -> None:
        self.document.set_policy(self.new)

    def undo(self) -> None:
        self.document.set_policy(self.old)


class AddInputCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, decl: InputDecl) -> None:
        super().__init__(f"Declare input {decl.name}")
        self.document = document
        self.decl = decl.model_copy(deep=True)

    def redo(self) -> None:
        self.document.add_input(self.decl)

    def undo(self) -> None:
        self.document.remove_input(self.decl.name)


class RemoveInputCommand(QUndoCommand):
    def __init__(self, document: WorkflowDocument, name: str) -> None:
        super().__init__(f"Remove input {name}")
        self.document = document
        self.name = name
        self._index = 0
        self._removed: InputDecl | None = None

    def redo(self) -> None:
        self._removed, self._index = self.document.remove_input(self.name)

    def undo(self) -> None:
        if self._removed is not None:
            self.document.add_input(self._removed, self._index)


class EditInputCommand(QUndoCommand):
    """Replace the input declared at `index` (name, type, default, required, description)."""

    def __init__(self, document: WorkflowDocument, index: int, decl: InputDecl) -> None:
        old = document.workflow.inputs[index]
        super().__init__(f"Edit input {old.name}")
        self.document = document
        self.index = index
        self.old = old.model_copy(deep=True)
        self.new = decl.model_copy(deep=True)

    def redo(self) -> None:
        self.document.replace_input(self.index, self.new)

    def undo(self) -> None:
        self.document.replace_input(self.index, self.old)
