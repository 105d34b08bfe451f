"""A workflow file without positions opens laid out, not as a pile of nodes."""

from __future__ import annotations

from pathlib import Path

from desktop.main_window import MainWindow
from tests.engine.test_layout import UNPLACED


def test_an_unplaced_file_opens_laid_out_and_unchanged(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "u.interlock.yaml"
    path.write_text(UNPLACED, encoding="utf-8")
    window.open_path(path, ask=False)
    items = window.scene.node_items
    spots = {node_id: (item.pos().x(), item.pos().y()) for node_id, item in items.items()}
    assert len(spots) == 5 and len(set(spots.values())) == 5
    assert not window.document.dirty  # laying out is not an edit
    assert path.read_text(encoding="utf-8") == UNPLACED
