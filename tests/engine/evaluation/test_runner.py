"""Running evaluations end to end without a model: rows recorded as normal runs, bounded
concurrency, approvals answered by the eval file's policy next to a write tool, validator
workflows, interruption and resume, re-running failing rows, compare, the CLI gate and
reports."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main
from engine.errors import WorkflowLoadError
from engine.evaluation.runner import Evaluator
from engine.evaluation.spec import Variant, load_eval, loads_eval
from engine.evaluation.summary import compare, summarize
from engine.evaluation.variants import apply_variant
from engine.providers.base import ProviderRegistry
from engine.store import SqliteRunStore
from engine.store.evaluation_records import RowResult
from engine.store.evaluations import EvalStore
from engine.trace.events import RunFinished, RunStarted
from engine.workflow.loader import loads_workflow
from tests.support.kinds import make_registry


def evaluator(store: EvalStore) -> Evaluator:
    return Evaluator(make_registry(), ProviderRegistry(), store)


def run_eval(store: EvalStore, path: Path, **kwargs: Any) -> Any:
    ev = evaluator(store)
    prepared = ev.prepare(load_eval(path))
    return asyncio.run(ev.run(prepared, **kwargs))


def test_each_row_is_a_recorded_run_and_scored(store: EvalStore, folder: Path) -> None:
    seen: list[tuple[int, int]] = []
    record = run_eval(
        store, folder / "shout.eval.yaml", on_row=lambda r, done, total: seen.append((done, total))
    )
    assert record.status == "succeeded" and record.dataset_name == "shout"
    assert sorted(seen) == [(1, 4), (2, 4), (3, 4), (4, 4)]
    results = store.row_results(record.eval_id)
    assert [(r.row_index, r.passed) for r in results] == [
        (0, True),
        (1, True),
        (2, False),
        (3, True),
    ]
    failing = results[2]
    assert failing.outputs == {"out": "NO"}
    assert failing.scores["same"].reason == "got NO" and failing.scores["has_letters"].passed
    for result in results:
        run = store.get_run(result.run_id or "")
        assert run is not None and run.status == "succeeded"
        assert run.inputs["text"] == result.outputs["out"].lower()[: len(run.inputs["text"])]
    summary = summarize(record, results, 4)
    default = summary.variants["default"]
    assert (default.rows, default.passed, summary.gate_ok) == (4, 3, True)
    assert default.scorers["same"].mean == 0.75
    assert 0.0 < default.scorers["same"].low < 0.75 < default.scorers["same"].high <= 1.0


def test_concurrency_is_bounded_and_used(tmp_path: Path) -> None:
    (tmp_path / "slow.interlock.yaml").write_text(
        "version: 1\nmetadata: {name: slow}\ninputs: [{name: x, type: integer}]\n"
        "nodes:\n  - {id: x, kind: input}\n"
        "  - {id: wait, kind: test_sleep, config: {seconds: 0.2}}\n"
        "  - {id: out, kind: output}\n"
        "edges:\n  - {source: x.value, target: wait.in}\n"
        "  - {source: wait.out, target: out.value}\n",
        encoding="utf-8",
    )
    rows = "".join(f'{{"x": {i}, "expected": {{"in": {i}}}}}\n' for i in range(6))
    (tmp_path / "rows.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "slow.eval.yaml").write_text(
        "name: slow\nworkflow: slow.interlock.yaml\ndataset: rows.jsonl\nconcurrency: 2\n"
        "scorers: [{id: same, type: exact}]\n",
        encoding="utf-8",
    )
    with SqliteRunStore(tmp_path / "runs.db") as store:
        record = run_eval(store, tmp_path / "slow.eval.yaml")
        spans = []
        for result in store.row_results(record.eval_id):
            events = store.events(result.run_id or "")
            start = next(e.ts for e in events if isinstance(e, RunStarted))
            end = next(e.ts for e in events if isinstance(e, RunFinished))
            spans.append((start, end))
            assert result.passed
    overlap = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert overlap == 2


APPROVE_THEN_WRITE = """\
version: 1
metadata: {name: Write after approval}
inputs: [{name: text, type: string, required: true}]
nodes:
  - {id: text, kind: input}
  - id: ok
    kind: approval
    config: {inputs: [value], title: Write it?}
  - id: write
    kind: tool
    config:
      tool: file_write
      inputs: [text]
      arguments: {path: 'out/{{ text }}.txt', content: '{{ text }}'}
  - id: done
    kind: template
    config: {inputs: [written], template: 'wrote {{ written is not none }}'}
  - {id: out, kind: output}
edges:
  - {source: text.value, target: ok.value}
  - {source: ok.approved, target: write.text}
  - {source: write.result, target: done.written}
  - {source: done.text, target: out.value}
policy:
  allowed_tools: [file_write]
  tool_scopes:
    file_write:
      roots: [{path: out, mode: write}]
"""


@pytest.mark.parametrize("policy", ["deny", "approve"])
def test_approvals_follow_the_eval_policy_next_to_a_write_tool(tmp_path: Path, policy: str) -> None:
    (tmp_path / "w.interlock.yaml").write_text(APPROVE_THEN_WRITE, encoding="utf-8")
    (tmp_path / "out").mkdir()
    rows = '{"text": "a", "expected": "wrote true"}\n{"text": "b", "expected": "wrote true"}\n'
    (tmp_path / "d.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "w.eval.yaml").write_text(
        f"name: w\nworkflow: w.interlock.yaml\ndataset: d.jsonl\napprovals: {policy}\n"
        "scorers: [{id: wrote, type: exact}]\n",
        encoding="utf-8",
    )
    with SqliteRunStore(tmp_path / "runs.db") as store:
        record = run_eval(store, tmp_path / "w.eval.yaml")
        results = store.row_results(record.eval_id)
        approvals = store.list_approvals(status=None)
    written = sorted(p.name for p in (tmp_path / "out").glob("*"))
    assert len(approvals) == 2
    if policy == "deny":
        assert written == []
        assert {r.run_status for r in results} == {"failed"}
        assert not any(r.passed for r in results)
        assert {a.decision.decider for a in approvals if a.decision} == {"policy:deny"}
    else:
        assert written == ["a.txt", "b.txt"]
        assert all(r.passed and r.outputs == {"out": "wrote true"} for r in results)
        assert {a.decision.decider for a in approvals if a.decision} == {"evaluation"}


VALIDATOR = """\
version: 1
metadata: {name: Same length}
inputs:
  - {name: output, type: any}
  - {name: expected, type: any}
nodes:
  - {id: output, kind: input}
  - {id: expected, kind: input}
  - id: check
    kind: template
    config:
      inputs: [output, expected]
      output_type: number
      template: "{{ 1 if (output | length) == (expected | length) else 0 }}"
  - id: why
    kind: template
    config: {inputs: [output], template: "length {{ output | length }}"}
  - {id: score, kind: output}
  - {id: reason, kind: output}
edges:
  - {source: output.value, target: check.output}
  - {source: expected.value, target: check.expected}
  - {source: output.value, target: why.output}
  - {source: check.text, target: score.value}
  - {source: why.text, target: reason.value}
"""


def test_a_validator_workflow_scores_rows_in_runs_of_its_own(
    store: EvalStore, folder: Path
) -> None:
    (folder / "same_length.interlock.yaml").write_text(VALIDATOR, encoding="utf-8")
    (folder / "v.eval.yaml").write_text(
        "name: v\nworkflow: shout.interlock.yaml\ndataset: shout.jsonl\n"
        "scorers: [{id: length, type: workflow, workflow: same_length.interlock.yaml}]\n",
        encoding="utf-8",
    )
    record = run_eval(store, folder / "v.eval.yaml")
    results = store.row_results(record.eval_id)
    # "NO" vs "nope" differ in length; every other row has the expected length.
    assert [r.scores["length"].score for r in results] == [1.0, 1.0, 0.0, 1.0]
    verdict = results[2].scores["length"]
    assert verdict.reason == "length 2" and verdict.run_id is not None
    child = store.get_run(verdict.run_id)
    assert child is not None and child.parent_run_id == results[2].run_id
    assert child.workflow_name == "Same length"


def test_a_validator_must_declare_its_contract(store: EvalStore, folder: Path) -> None:
    (folder / "v.eval.yaml").write_text(
        "name: v\nworkflow: shout.interlock.yaml\ndataset: shout.jsonl\n"
        "scorers:\n  - {id: bad, type: workflow, workflow: shout.interlock.yaml}\n",
        encoding="utf-8",
    )
    with pytest.raises(WorkflowLoadError) as caught:
        evaluator(store).prepare(load_eval(folder / "v.eval.yaml"))
    (problem,) = caught.value.problems
    assert problem.line == 5 and "output named score" in problem.message


def test_interrupted_evaluation_resumes_without_rerunning_finished_rows(
    tmp_path: Path, folder: Path
) -> None:
    db = tmp_path / "runs.db"
    with SqliteRunStore(db) as store:
        ev = evaluator(store)
        prepared = ev.prepare(load_eval(folder / "shout.eval.yaml"))

        async def interrupted() -> str:
            task: asyncio.Task[Any] | None = None

            def stop_after_two(result: RowResult, done: int, total: int) -> None:
                if done == 2 and task is not None:
                    task.cancel()

            task = asyncio.ensure_future(ev.run(prepared, concurrency=1, on_row=stop_after_two))
            with pytest.raises(asyncio.CancelledError):
                await task
            (record,) = store.list_evaluations()
            return record.eval_id

        eval_id = asyncio.run(interrupted())
        first = {r.key: r.run_id for r in store.row_results(eval_id)}
        assert len(first) == 2 and store.get_evaluation(eval_id).status == "interrupted"  # type: ignore[union-attr]
    with SqliteRunStore(db) as store:  # a new process, as after a crash
        record = asyncio.run(evaluator(store).resume(eval_id))
        results = store.row_results(eval_id)
        runs = store.list_runs(limit=100)
    assert record.status == "succeeded" and len(results) == 4
    assert {r.key: r.run_id for r in results if r.key in first} == first
    # Two rows finished before, two after (the cancelled third never finished); each
    # row's run is in the store, and no finished row got a second run.
    finished_runs = [r for r in runs if r.status == "succeeded"]
    assert len(finished_runs) == 4
    assert {r.run_id for r in results} <= {r.run_id for r in runs}


def test_rerun_of_failing_rows_uses_the_current_files_and_compare_shows_the_fix(
    store: EvalStore, folder: Path
) -> None:
    first = run_eval(store, folder / "shout.eval.yaml")
    ev = evaluator(store)
    failing = [r.row_index for r in store.row_results(first.eval_id) if not r.passed]
    assert failing == [2]
    # Fix the workflow and drop the capitals check, as a user would after the report.
    workflow = (folder / "shout.interlock.yaml").read_text("utf-8")
    fixed = "\"{{ 'nope' if in == 'no' else (in | upper) * n }}\""
    (folder / "shout.interlock.yaml").write_text(
        workflow.replace('"{{ (in | upper) * n }}"', fixed), encoding="utf-8"
    )
    spec = (folder / "shout.eval.yaml").read_text("utf-8")
    (folder / "shout.eval.yaml").write_text(
        spec.replace('  - {id: has_letters, type: regex, pattern: "^[A-Z]+$"}\n', ""),
        encoding="utf-8",
    )
    prepared = ev.prepare_rerun(first)
    assert prepared.dataset.hash == first.dataset_hash
    assert [s.id for s in prepared.spec.scorers] == ["same"]
    second = asyncio.run(ev.run(prepared, rows=failing, parent_eval_id=first.eval_id))
    assert second.parent_eval_id == first.eval_id and second.rows == (2,)
    changes = compare(store.row_results(first.eval_id), store.row_results(second.eval_id))
    assert [(c.row_index, c.change) for c in changes] == [(2, "fixed")]


def test_variants_change_llm_nodes_and_map_templates_only() -> None:
    text = (
        Path(__file__).resolve().parents[3] / "resources/examples/triage/triage.interlock.yaml"
    ).read_text("utf-8")
    workflow = loads_workflow(text).workflow
    variant = Variant.model_validate(
        {
            "name": "pinned",
            "nodes": {"classify": {"route": {"model": "gemma3-270m"}, "temperature": 0.5}},
        }
    )
    changed = apply_variant(workflow, variant)
    template = next(n for n in changed.nodes if n.id == "classify").config["template"]["config"]
    assert template["route"]["model"] == "gemma3-270m"
    assert template["route"]["tier"] == "routine"  # merged, not replaced
    assert template["temperature"] == 0.5
    original = next(n for n in workflow.nodes if n.id == "classify").config["template"]["config"]
    assert original["route"]["model"] == "smollm2-135m-instruct"  # the workflow is untouched
    spec = loads_eval(
        "name: x\nworkflow: w\ndataset: d\nscorers: [{id: a, type: exact}]\nvariants:\n"
        "  - name: bad\n    nodes:\n      summarize: {temperature: 1}\n"
    )
    with pytest.raises(WorkflowLoadError) as caught:
        apply_variant(workflow, spec.spec.variants[0], spec)
    (problem,) = caught.value.problems
    assert problem.line == 8 and "is a template node" in problem.message


def test_cli_gate_exit_codes_reports_and_located_errors(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(folder / "runs.db")
    eval_file = str(folder / "shout.eval.yaml")
    assert main(["eval", eval_file, "--db", db, "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["gate"] == {"ok": True, "failures": []}
    assert summary["variants"]["default"]["pass_rate"] == 0.75
    strict = folder / "strict.eval.yaml"
    strict.write_text(
        (folder / "shout.eval.yaml").read_text("utf-8").replace("0.7", "0.9"), encoding="utf-8"
    )
    assert main(["eval", str(strict), "--db", db, "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "gate NOT met" in out and "pass rate 0.750 < min_pass_rate 0.9" in out

    eval_id = summary["eval_id"]
    html = folder / "report.html"
    assert main(["eval", "report", eval_id, "-o", str(html), "--db", db]) == 0
    page = html.read_text("utf-8")
    failing_run = next(
        r["run_id"]
        for r in json.loads(_json_report(folder, eval_id, db, capsys))["rows"]
        if not r["passed"]
    )
    assert f'href="report_runs/{failing_run}.html"' in page
    assert (folder / "report_runs" / f"{failing_run}.html").is_file()
    assert "<svg" in page and "mean score" in page

    broken = folder / "broken.eval.yaml"
    broken.write_text(
        "name: b\nworkflow: shout.interlock.yaml\ndataset: shout.jsonl\n"
        "scorers:\n  - {id: a, type: exact, output: nowhere}\n",
        encoding="utf-8",
    )
    assert main(["eval", "validate", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:5:" in err and "neither a workflow output" in err


def _json_report(folder: Path, eval_id: str, db: str, capsys: pytest.CaptureFixture[str]) -> str:
    out = folder / "report.json"
    assert main(["eval", "report", eval_id, "--format", "json", "-o", str(out), "--db", db]) == 0
    capsys.readouterr()
    return out.read_text("utf-8")


def test_dataset_cli_refuses_bad_rows_unless_told_and_adds_runs(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(folder / "runs.db")
    bad = folder / "bad.jsonl"
    bad.write_text('{"text": "a", "expected": "A"}\n{"times": 1}\n', encoding="utf-8")
    workflow = str(folder / "shout.interlock.yaml")
    assert (
        main(["dataset", "import", str(bad), "--name", "d", "--workflow", workflow, "--db", db])
        == 2
    )
    err = capsys.readouterr().err
    assert f"{bad}:2: missing required input 'text'" in err and "nothing stored" in err
    assert main(["dataset", "list", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    args = ["dataset", "import", str(bad), "--name", "d", "--workflow", workflow, "--db", db]
    assert main([*args, "--skip-bad"]) == 0
    assert "1 rows, skipped 1 bad row(s)" in capsys.readouterr().out

    assert main(["run", workflow, "--input", "text=zz", "--db", db, "--json", "--quiet"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["dataset", "add-run", run_id, "--name", "d", "--db", db]) == 0
    capsys.readouterr()
    assert main(["dataset", "show", "d", "--json", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["rows"] == 2
    assert shown["examples"][1]["inputs"] == {"text": "zz", "times": 1}
    assert shown["examples"][1]["expected"] == {"out": "ZZ"}
    assert shown["examples"][1]["metadata"] == {"run_id": run_id}


def test_a_run_stopped_at_a_denied_approval_is_scored_on_what_came_before(tmp_path: Path) -> None:
    (tmp_path / "w.interlock.yaml").write_text(APPROVE_THEN_WRITE, encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "d.jsonl").write_text(
        '{"text": "a", "expected.text": "a"}\n{"text": "b", "expected.text": "x"}\n',
        encoding="utf-8",
    )
    (tmp_path / "w.eval.yaml").write_text(
        "name: w\nworkflow: w.interlock.yaml\ndataset: d.jsonl\n"
        "scorers: [{id: seen, type: exact, output: text.value, expected: text}]\n",
        encoding="utf-8",
    )
    with SqliteRunStore(tmp_path / "runs.db") as store:
        record = run_eval(store, tmp_path / "w.eval.yaml")
        results = store.row_results(record.eval_id)
    assert [r.run_status for r in results] == ["failed", "failed"]  # denied: nothing written
    assert [r.passed for r in results] == [True, False]  # judged on the pre-gate output
    assert list((tmp_path / "out").iterdir()) == []
