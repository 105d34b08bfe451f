"""The JSON export read back into another database through the store's own APIs: the
derived rows come out identical, approvals keep their ids and decisions, a second import
is refused, and the import itself is audited."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.reports import ReportError, build_report, export_run, import_run
from engine.store.sqlite import SqliteRunStore
from tests.engine.reports.conftest import Runs


def _rows(store: SqliteRunStore, run_id: str) -> tuple[object, ...]:
    return (
        store.get_run(run_id),
        store.attempts(run_id),
        [_unmarked(e.to_record()) for e in store.events(run_id)],
        [(a.request_id, a.status, a.decision) for a in store.list_approvals(None, run_id)],
    )


def _unmarked(record: dict[str, object]) -> dict[str, object]:
    """An event record without the import mark (`RunStarted.imported`), set only here."""
    data = record.get("data")
    if record["type"] == "run_started" and isinstance(data, dict):
        return {**record, "data": {k: v for k, v in data.items() if k != "imported"}}
    return record


@pytest.mark.parametrize("which", ["approval", "failed"])
def test_import_gives_identical_derived_rows(sample: Runs, which: str, tmp_path: Path) -> None:
    run_id = getattr(sample, which)
    data = json.loads(json.dumps(export_run(build_report(sample.store, run_id))))
    target = SqliteRunStore(tmp_path / "other.db")
    try:
        assert import_run(target, data) == run_id
        assert _rows(target, run_id) == _rows(sample.store, run_id)
        record = sample.store.get_run(run_id)
        assert record is not None
        assert target.get_workflow(record.workflow_hash) == sample.store.get_workflow(
            record.workflow_hash
        )
        started = target.events(run_id)[0].to_record()["data"]
        assert isinstance(started, dict) and started["imported"]["exported_at"]
        (imported,) = target.audit_entries()
        assert (imported.action, imported.run_id) == ("run_imported", run_id)
        with pytest.raises(ReportError, match="importing it twice is refused"):
            import_run(target, data)
        assert len(target.events(run_id)) == len(data["events"])  # nothing half-imported
    finally:
        target.close()


def test_import_of_a_redacted_run_keeps_the_redaction(sample: Runs, tmp_path: Path) -> None:
    data = export_run(build_report(sample.store, sample.rich))
    target = SqliteRunStore(tmp_path / "other.db")
    try:
        import_run(target, data)
        run = target.get_run(sample.rich)
        assert run is not None and run.inputs["creds"]["api_key"] == "[redacted]"
        original = sample.store.attempts(sample.rich)
        imported = target.attempts(sample.rich)
        assert [(a.node_id, a.attempt, a.status) for a in imported] == [
            (a.node_id, a.attempt, a.status) for a in original
        ]
        assert report_facts(target, sample.rich) == report_facts(sample.store, sample.rich)
    finally:
        target.close()


def report_facts(store: SqliteRunStore, run_id: str) -> object:
    r = build_report(store, run_id)
    return (r.status, dataclasses.astuple(r.totals), [(n.node_id, n.status) for n in r.nodes])


def test_exports_of_other_formats_or_versions_are_refused(sample: Runs, tmp_path: Path) -> None:
    data = export_run(build_report(sample.store, sample.failed))
    target = SqliteRunStore(tmp_path / "other.db")
    try:
        with pytest.raises(ReportError, match="version 2 is not supported"):
            import_run(target, {**data, "version": 2})
        with pytest.raises(ReportError, match="not an Interlock run export"):
            import_run(target, {"format": "something-else"})
        broken = {**data, "events": [{"seq": 1}]}
        with pytest.raises(ReportError, match="invalid run export at events/0"):
            import_run(target, broken)
        assert target.get_run(sample.failed) is None
    finally:
        target.close()


def test_cli_report_json_then_import_run(
    sample: Runs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.json"
    db = str(sample.store.path)
    assert main(["report", sample.approval, "--format", "json", "-o", str(out), "--db", db]) == 0
    other = str(tmp_path / "other.db")
    assert main(["import-run", str(out), "--db", other]) == 0
    assert capsys.readouterr().out.strip() == sample.approval
    assert main(["import-run", str(out), "--db", other]) == 2
    assert "importing it twice is refused" in capsys.readouterr().err
