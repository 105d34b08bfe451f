"""The report model built from real runs: what it says about parallel branches, retries,
tools, routing, approvals, crashes and resumes, the audit trail, and unknown events."""

from __future__ import annotations

from engine.audit.chain import verify_chain
from engine.reports import build_report
from engine.reports.redaction import REDACTED, scrub, scrub_fields
from engine.trace.events import UnknownEvent
from tests.engine.reports.conftest import Runs


def test_rich_run_header_totals_and_parallel_spans(sample: Runs) -> None:
    report = build_report(sample.store, sample.rich)
    assert (report.workflow_name, report.status) == ("triage tickets", "succeeded")
    record = sample.store.get_run(sample.rich)
    assert record is not None and report.workflow_hash == record.workflow_hash
    t = report.totals
    assert (t.prompt_tokens, t.completion_tokens, t.cost_usd) == (80, 16, 0.0125)
    assert {(m.model, m.remote) for m in t.by_model} == {
        ("tiny-local", False),
        ("big-remote", True),
    }
    assert (t.local_calls, t.remote_calls) == (1, 1) and t.remote_share == 0.5
    left, right = (next(s for s in report.spans if s.node_id == n) for n in ("left", "right"))
    assert left.start < right.end and right.start < left.end  # they ran at the same time


def test_retry_is_an_attempt_with_its_error_and_wait(sample: Runs) -> None:
    flaky = build_report(sample.store, sample.rich).node("flaky")
    first, second = flaky.attempts
    assert (first.status, first.error_class, first.retry_delay_s) == ("retrying", "transient", 0.04)
    assert first.error == "injected failure 1" and second.status == "succeeded"
    waits = [s for s in build_report(sample.store, sample.rich).spans if s.kind == "retry_wait"]
    assert [(w.node_id, w.attempt) for w in waits] == [("flaky", 1)]


def test_routing_escalation_model_calls_and_rendered_prompt(sample: Runs) -> None:
    node = build_report(sample.store, sample.rich).node("classify")
    assert [(d.phase, d.chosen) for d in node.routing] == [
        ("initial", "tiny-local"),
        ("escalation", "big-remote"),
    ]
    assert node.routing[1].trigger == "schema" and node.routing[0].reason
    assert [(c.model, c.outcome, c.remote) for c in node.model_calls] == [
        ("tiny-local", "schema_failed", False),
        ("big-remote", "ok", True),
    ]
    assert [(p.role, p.text) for p in node.prompt] == [
        ("system", "You label support tickets."),
        ("user", "Label this: recovered"),
    ]
    assert node.models == ["tiny-local", "big-remote"] and node.cost_usd == 0.0125


def test_tools_used_refused_and_governance(sample: Runs) -> None:
    report = build_report(sample.store, sample.rich)
    (read,) = report.node("read").tool_calls
    assert read.status == "ok" and read.result["path"] == "docs/notes.md"
    (write,) = report.node("write").tool_calls
    assert write.status == "refused" and "not granted" in (write.error or "")
    g = report.governance
    assert g.tools_granted == ["file_read"] and g.tools_used == {"file_read": 1}
    assert [c.tool for c in g.refused] == ["file_write"]
    assert [e.type for e in g.policy_events] == ["tool_refused"]
    assert g.approvals == {"edited": 1}
    trail = [e for e in sample.store.audit_entries() if e.run_id == sample.rich]
    assert g.audit_head == trail[-1].hash and g.audit_entries == len(trail) > 0
    assert g.audit_chain_ok is verify_chain(sample.store.audit_entries()).ok is True


def test_in_process_approval_edit_shows_a_diff(sample: Runs) -> None:
    (approval,) = build_report(sample.store, sample.rich).node("gate").approvals
    assert (approval.decision, approval.decider, approval.comment) == (
        "edit",
        "ana",
        "more precise",
    )
    assert '-  "label": "hardware"' in approval.diff
    assert '+  "label": "hardware/printer"' in approval.diff


def test_failed_run_keeps_every_attempt_error(sample: Runs) -> None:
    report = build_report(sample.store, sample.failed)
    assert report.status == "failed" and "injected failure 2" in (report.error or "")
    boom = report.node("boom")
    assert [a.status for a in boom.attempts] == ["retrying", "failed"]
    assert report.node("o").status == "not run"


def test_resumed_run_shows_the_interrupted_attempt_ending_at_the_resume(sample: Runs) -> None:
    report = build_report(sample.resumed_store, sample.resumed)
    assert report.status == "succeeded" and report.resumes == 1
    s2 = report.node("s2")
    assert [a.status for a in s2.attempts] == ["interrupted", "succeeded"]
    resumed = next(
        e for e in sample.resumed_store.events(sample.resumed) if e.type == "run_resumed"
    )
    assert s2.attempts[0].finished_at == resumed.ts
    assert [e.type for e in report.run_events] == ["run_resumed"]
    assert report.node("s0").attempts[0].status == "succeeded"  # not redone


def test_deferred_approval_wait_is_a_span_until_the_resume(sample: Runs) -> None:
    report = build_report(sample.store, sample.approval)
    gate = report.node("gate")
    assert [a.status for a in gate.attempts] == ["waiting", "succeeded"]
    (approval,) = gate.approvals
    assert (approval.status, approval.decision, approval.decider) == ("approved", "edit", "lead")
    (wait,) = [s for s in report.spans if s.kind == "approval_wait"]
    assert wait.start == approval.requested_at and wait.end == approval.decided_at
    assert wait.end >= gate.attempts[0].finished_at  # type: ignore[operator]
    assert report.outputs == {"sent": {"to": "bob", "body": "hi"}}


def test_unknown_event_types_are_kept_and_shown_generically(sample: Runs) -> None:
    store = sample.store
    last = store.events(sample.failed)[-1]
    future = UnknownEvent(
        run_id=sample.failed,
        seq=last.seq + 1,
        ts=last.ts,
        node_id="boom",
        original_type="quantum_step",
        data={"qubits": 3, "api_key": "x"},
    )
    store.append_events([future])
    node = build_report(store, sample.failed).node("boom")
    (shown,) = [e for e in node.events if e.type == "quantum_step"]
    assert shown.data == {"qubits": 3, "api_key": REDACTED}


def test_redaction_keeps_identifiers_and_hides_secrets() -> None:
    data = {"request_id": "abc", "cache_key": "k1", "token": "t", "note": "Bearer abcdef123456"}
    assert scrub_fields(data) == {
        "request_id": "abc",
        "cache_key": "k1",
        "token": REDACTED,
        "note": REDACTED,
    }
    assert scrub({"nested": {"Authorization": "x", "ok": "sk-" + "a" * 20}}) == {
        "nested": {"Authorization": REDACTED, "ok": REDACTED}
    }
