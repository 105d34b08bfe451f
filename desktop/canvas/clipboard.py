"""Copying nodes (with the edges between them) to the clipboard and planning a paste:
fresh ids, shifted positions. Works across windows through the system clipboard."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QMimeData

from engine.workflow.document import WorkflowDocument
from engine.workflow.model import Edge, Node, Position

NODES_MIME = "application/x-interlock-nodes+json"
PASTE_OFFSET = 40.0


def copy_mime(document: WorkflowDocument, node_ids: list[str]) -> QMimeData | None:
    """The nodes and the edges among them, as our own format and as plain JSON text."""
    wanted = set(node_ids)
    chosen = [n for n in document.nodes if n.id in wanted]  # document order, not click order
    if not chosen:
        return None
    ids = {n.id for n in chosen}
    payload = {
        "nodes": [n.model_dump(mode="json") for n in chosen],
        "edges": [
            e.model_dump(mode="json")
            for e in document.edges
            if e.source.node in ids and e.target.node in ids
        ],
    }
    text = json.dumps(payload, indent=2)
    data = QMimeData()
    data.setData(NODES_MIME, text.encode())
    data.setText(text)
    return data


def read_mime(data: QMimeData | None) -> dict[str, Any] | None:
    if data is None or not data.hasFormat(NODES_MIME):
        return None
    try:
        payload = json.loads(bytes(data.data(NODES_MIME).data()).decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def plan_paste(
    document: WorkflowDocument, payload: dict[str, Any], dx: float, dy: float
) -> tuple[list[Node], list[Edge]]:
    """Nodes with ids unused in `document`, moved by (dx, dy), and their re-pointed edges."""
    taken = {n.id for n in document.nodes}
    renamed: dict[str, str] = {}
    nodes: list[Node] = []
    for raw in payload.get("nodes", []):
        try:
            node = Node.model_validate(raw)
        except ValidationError:
            continue
        new_id = _fresh_id(node.id, taken)
        taken.add(new_id)
        renamed[node.id] = new_id
        position = Position(x=node.position.x + dx, y=node.position.y + dy)
        nodes.append(node.model_copy(update={"id": new_id, "position": position}))
    edges: list[Edge] = []
    for raw in payload.get("edges", []):
        try:
            edge = Edge.model_validate(raw)
        except ValidationError:
            continue
        if edge.source.node in renamed and edge.target.node in renamed:
            edges.append(
                Edge.model_validate(
                    {
                        "source": {"node": renamed[edge.source.node], "port": edge.source.port},
                        "target": {"node": renamed[edge.target.node], "port": edge.target.port},
                    }
                )
            )
    return nodes, edges


def _fresh_id(node_id: str, taken: set[str]) -> str:
    if node_id not in taken:
        return node_id
    stem = re.sub(r"_\d+$", "", node_id)
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def release_clipboard() -> None:
    """Take our nodes off the clipboard before Qt shuts down.

    PySide6 owns the QMimeData we hand to the clipboard; if it is still there when the
    QApplication is destroyed, both sides free it and the process crashes on exit."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        return
    clipboard = QGuiApplication.clipboard()
    data = clipboard.mimeData()
    if data is not None and data.hasFormat(NODES_MIME):
        clipboard.clear()
