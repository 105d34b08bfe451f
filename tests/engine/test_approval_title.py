"""An approval has one title: the node's Title, or `config.title` as older files spell it."""

from __future__ import annotations

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from tests.engine.test_approvals import gated, run_with


def _title(workflow: object) -> str:
    seen: list[str] = []

    async def approver(record: ApprovalRecord) -> ApprovalDecision:
        seen.append(record.request.title)
        return ApprovalDecision(decision="approve", decider="ana")

    run_with(approver, workflow)
    return seen[0]


def test_node_title_is_the_dialog_title() -> None:
    workflow = gated()
    gate = workflow.node("gate")
    gate.config.pop("title")
    gate.title = "Send the mail?"
    assert _title(workflow) == "Send the mail?"


def test_config_title_of_older_files_still_renders() -> None:
    workflow = gated()
    workflow.node("gate").title = "ignored while the config has one"
    assert _title(workflow) == "Send to ana?"


def test_without_either_the_default_title() -> None:
    workflow = gated()
    workflow.node("gate").config.pop("title")
    assert _title(workflow) == "Approval needed"
