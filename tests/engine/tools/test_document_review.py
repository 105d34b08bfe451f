"""The document review example: it validates, and on the bundled model it retrieves,
summarises, checks and writes its note only when the gated write is approved."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.audit import verify_chain
from engine.cli.main import main
from engine.nodes import builtin_registry
from engine.runtime.engine import Engine
from engine.store.memory import MemoryRunStore
from engine.workflow.loader import load_workflow

EXAMPLE = Path(__file__).resolve().parents[3] / "resources" / "examples" / "document_review"
FILE = "document_review.interlock.yaml"


def test_example_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE / FILE)]) == 0
    assert len(list((EXAMPLE / "policies").glob("*.md"))) >= 4


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_example_gates_the_final_write(tmp_path: Path, decision: str) -> None:
    from engine.cli.commands import default_providers

    folder = tmp_path / "review"
    shutil.copytree(EXAMPLE, folder)
    asked: list[ApprovalRecord] = []

    async def approver(record: ApprovalRecord) -> ApprovalDecision:
        asked.append(record)
        return ApprovalDecision(decision, "compliance")  # type: ignore[arg-type]

    store = MemoryRunStore()
    engine = Engine(builtin_registry(), default_providers(), store, approver=approver)
    result = asyncio.run(engine.run(load_workflow(folder / FILE).workflow, {}, base_dir=folder))
    note = folder / "out" / "review-note.md"
    assert [r.request.rule for r in asked] == ["final write needs sign-off"]
    assert result.nodes["retrieve"] == result.nodes["summarize"] == "succeeded"
    assert result.outputs["risk"]["risk"] in ("low", "high")
    if decision == "approve":
        assert result.status == "succeeded", result.error
        assert "Sources: policies/" in note.read_text()
    else:
        assert result.status == "failed" and not note.exists()
    trail = store.audit_entries()
    assert verify_chain(trail).ok
    assert ("approval_gate", "approved" if decision == "approve" else "rejected") in [
        (e.action, e.outcome) for e in trail
    ]
