"""A node's one Title in the inspector: an approval node's dialog title is its Title, so
files that spell it `config.title` (older ones) show and edit the same field."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from desktop.canvas.commands import RenameNodeCommand, SetConfigCommand
from engine.workflow.document import WorkflowDocument
from engine.workflow.model import Node


def approval_title_shown(node: Node) -> str:
    """The Title field's text: the node's title, or an approval's `config.title`."""
    if node.kind == "approval" and not node.title:
        return str(node.config.get("title") or "")
    return node.title


def title_commands(document: WorkflowDocument, node: Node, title: str) -> list[QUndoCommand]:
    """The undo commands that give `node` the Title `title`: a rename, and for an approval
    that spelled its title in `config.title`, that key dropped (one title, on the node)."""
    commands: list[QUndoCommand] = []
    if title != node.title:
        commands.append(RenameNodeCommand(document, node.id, title))
    if node.kind == "approval" and "title" in node.config:
        config = {k: v for k, v in node.config.items() if k != "title"}
        commands.append(SetConfigCommand(document, node.id, config, "title"))
    return commands
