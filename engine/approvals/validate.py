"""Checks on a decision before it is recorded: comments, approver, and edited values
against the request's JSON Schema."""

from __future__ import annotations

from engine.approvals.model import ApprovalDecision, ApprovalRequest


def check_decision(request: ApprovalRequest, decision: ApprovalDecision) -> str | None:
    """A clear reason the decision is not acceptable, or None."""
    if decision.by_deadline:
        return None
    if request.comment_required and not decision.comment.strip():
        return "a comment is required for this approval"
    if request.approver and decision.decider != request.approver:
        return f"this approval must be decided by {request.approver!r}, not {decision.decider!r}"
    if decision.decision == "edit":
        import jsonschema  # loaded when an edit is checked, not at start-up

        if not request.allow_edit:
            return "this approval does not allow edits"
        if request.schema is not None:
            try:
                jsonschema.validate(decision.edited_value, request.schema)
            except jsonschema.ValidationError as exc:
                where = "/".join(str(p) for p in exc.absolute_path) or "the value"
                return f"edited value does not match the schema at {where}: {exc.message}"
            except jsonschema.SchemaError as exc:
                return f"the request's schema is invalid: {exc.message}"
    return None
