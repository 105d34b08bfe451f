"""The generated reference pages (docs/workflow-reference.md, docs/cli.md) match what
packaging/gen_docs.py makes from the committed schema and the CLI today."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["input", "output", "template", "llm", "branch", "join", "map", "subworkflow"]
KINDS += ["approval", "tool", "agent"]


def gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "packaging" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", ["workflow-reference.md", "cli.md"])
def test_generated_page_is_current(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    pages = {path.name: text for path, text in gen_docs().generated().items()}
    committed = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert committed == pages[page], f"docs/{page} is stale: run packaging/gen_docs.py"


def test_reference_covers_every_node_kind_and_command() -> None:
    reference = (ROOT / "docs" / "workflow-reference.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"### `{kind}`" in reference
    assert "#### llm: RoutePolicy" in reference and "## Approval rules" in reference
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("run", "approve", "endpoints add", "models import", "report"):
        assert f"## `interlock {command}`" in cli
