"""A run imported from someone else's export is a record to read and compare: it is marked
imported, and `resume`, `approve`'s continuation and `run --from-node` refuse it (exit 2),
so its embedded workflow never runs here with this machine's grants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.engine.hostile.cli import assert_no_traceback, cli_env, interlock

WORKFLOW = {
    "version": 1,
    "metadata": {"name": "shared"},
    "inputs": [{"name": "text", "type": "string", "default": "hi"}],
    "nodes": [
        {"id": "text", "kind": "input"},
        {"id": "t", "kind": "template", "config": {"inputs": ["x"], "template": "{{ x.gone }}"}},
        {"id": "out", "kind": "output"},
    ],
    "edges": [
        {"source": "text.value", "target": "t.x"},
        {"source": "t.text", "target": "out.value"},
    ],
}


@pytest.mark.slow
def test_an_imported_run_is_never_resumed_or_rerun(tmp_path: Path) -> None:
    theirs, ours = tmp_path / "theirs", tmp_path / "ours"
    theirs.mkdir()
    ours.mkdir()
    path = theirs / "shared.interlock.yaml"
    path.write_text(yaml.safe_dump(WORKFLOW, sort_keys=False))
    env_theirs, env_ours = cli_env(theirs), cli_env(ours)
    done = interlock(env_theirs, "run", str(path), "--json", "-q")
    assert done.code == 1, done.text
    run_id = json.loads(done.out)["run_id"]
    export = tmp_path / "run.json"
    assert interlock(env_theirs, "report", run_id, "--format", "json", "-o", str(export)).code == 0

    done = interlock(env_ours, "import-run", str(export))
    assert done.code == 0, done.text
    shown = interlock(env_ours, "show", run_id, "--json")
    assert json.loads(shown.out)["imported"]["exported_at"]
    assert "imported from an export" in interlock(env_ours, "show", run_id).out

    for args in (
        ("resume", run_id),
        ("resume", run_id, "--force"),
        ("run", str(path), "--from-node", "t", "--run", run_id),
    ):
        done = interlock(env_ours, *args)
        assert_no_traceback(done)
        assert done.code == 2, done.text
        assert f"run {run_id} was imported from an export" in done.err
        assert "cannot be" in done.err
    runs = json.loads(interlock(env_ours, "runs", "--json").out)
    assert [r["run_id"] for r in runs] == [run_id]  # nothing ran here

    # The run is still the exporter's to resume in their own database.
    done = interlock(env_theirs, "resume", run_id)
    assert "imported" not in done.err
    assert done.code in (0, 1), done.text


def test_the_engine_itself_refuses_to_execute_an_imported_run(tmp_path: Path) -> None:
    """The app and any other caller get the same refusal as the CLI."""
    import asyncio

    from engine.errors import RunError
    from engine.reports.build import build_report
    from engine.reports.export import export_run, import_run
    from engine.runtime.engine import Engine
    from engine.store.sqlite import SqliteRunStore
    from tests.engine.helpers import wf
    from tests.support.kinds import make_registry

    workflow = wf(
        [{"id": "t", "kind": "template", "config": {"template": "x", "inputs": []}},
         {"id": "o", "kind": "output"}],
        [("t.text", "o.value")],
    )  # fmt: skip
    theirs = SqliteRunStore(tmp_path / "theirs.db")
    done = asyncio.run(Engine(make_registry(), store=theirs).run(workflow, {}))
    data = export_run(build_report(theirs, done.run_id))
    mine = SqliteRunStore(tmp_path / "mine.db")
    run_id = import_run(mine, data)
    engine = Engine(make_registry(), store=mine)
    with pytest.raises(RunError, match="imported from an export"):
        asyncio.run(engine.resume(run_id, force=True))
    with pytest.raises(RunError, match="imported from an export"):
        asyncio.run(engine.rerun_from(run_id, "t"))
