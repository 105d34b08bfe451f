"""The loop node: repeat a template or a workflow until a condition holds, at most N
times; every iteration traced, and a resumed run continues after the last one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from engine.providers.base import ProviderRegistry
from engine.providers.local import default_local_provider
from engine.runtime.engine import Engine
from engine.runtime.validate import validate
from engine.store.sqlite import SqliteRunStore
from engine.trace.events import LoopIteration, RunEvent
from engine.workflow.loader import load_workflow, save_workflow, workflow_to_data
from local_models import SMOLLM2_ID
from tests.engine.helpers import run, wf
from tests.support.kinds import make_registry


def looping(**config: Any) -> Any:
    loop = {"id": "loop", "kind": "loop", "config": config}
    return wf(
        [
            {"id": "x", "kind": "input"},
            loop,
            {"id": "o", "kind": "output"},
            {"id": "n", "kind": "output"},
            {"id": "ok", "kind": "output"},
        ],
        [
            ("x.value", "loop.in"),
            ("loop.value", "o.value"),
            ("loop.iterations", "n.value"),
            ("loop.converged", "ok.value"),
        ],
        inputs=[{"name": "x", "type": "any"}],
    )


BANG = {"kind": "template", "config": {"template": "{{ in }}!"}}


def test_a_template_repeats_until_the_condition_holds() -> None:
    workflow = looping(template=BANG, max_iterations=10, until="text | length >= 6")
    result, events = run(workflow, {"x": "hi"})
    assert result.status == "succeeded", result.error
    assert result.outputs == {"o": "hi!!!!", "n": 4, "ok": True}
    iterations = [e for e in events if isinstance(e, LoopIteration)]
    assert [(i.iteration, i.state, i.converged) for i in iterations] == [
        (1, "hi!", False),
        (2, "hi!!", False),
        (3, "hi!!!", False),
        (4, "hi!!!!", True),
    ]


def test_max_iterations_bounds_the_loop() -> None:
    never = "text == 'never'"
    result, _ = run(looping(template=BANG, max_iterations=2, until=never), {"x": "a"})
    assert result.status == "failed"
    assert "`until` did not hold after 2 iterations" in (result.error or "")
    last = looping(template=BANG, max_iterations=2, until=never, on_exhausted="last")
    result, _ = run(last, {"x": "a"})
    assert result.outputs == {"o": "a!!", "n": 2, "ok": False}
    result, _ = run(looping(template=BANG, max_iterations=3), {"x": "a"})
    assert result.outputs == {"o": "a!!!", "n": 3, "ok": False}  # no condition: N times


def test_validate_requires_a_bound_and_checks_the_body(tmp_path: Path) -> None:
    registry = make_registry()
    report = validate(looping(template=BANG, until="text"), registry)
    assert any(
        "max_iterations" in p.message and "required" in p.message.lower() for p in report.errors
    )
    report = validate(looping(template=BANG, max_iterations=2, until="text ==="), registry)
    assert any("until: expression error" in p.message for p in report.errors)
    _revise_file(tmp_path)
    ok = looping(
        workflow="revise.interlock.yaml", max_iterations=5, until="approved", carry="draft"
    )
    assert validate(ok, registry, base_dir=tmp_path).errors == []
    typo = looping(workflow="revise.interlock.yaml", max_iterations=5, until="aproved")
    messages = [p.message for p in validate(typo, registry, base_dir=tmp_path).errors]
    assert any("aproved is not an output" in m for m in messages), messages


def _revise_file(tmp_path: Path) -> None:
    """draft → review → revise: a draft grows each iteration; approved from the third."""
    child = wf(
        [
            {"id": "state", "kind": "input"},
            {"id": "iteration", "kind": "input"},
            {
                "id": "revise",
                "kind": "template",
                "config": {"template": "{{ in }}+", "inputs": ["in"]},
            },
            {
                "id": "review",
                "kind": "template",
                "config": {
                    "template": "{{ (n >= 3) | tojson }}",
                    "inputs": ["n"],
                    "output_type": "boolean",
                },
            },
            {"id": "draft", "kind": "output"},
            {"id": "approved", "kind": "output"},
        ],
        [
            ("state.value", "revise.in"),
            ("iteration.value", "review.n"),
            ("revise.text", "draft.value"),
            ("review.text", "approved.value"),
        ],
        inputs=[{"name": "state", "type": "string"}, {"name": "iteration", "type": "integer"}],
    )
    save_workflow(child, tmp_path / "revise.interlock.yaml")


def test_a_workflow_body_runs_as_child_runs_until_approved(tmp_path: Path) -> None:
    _revise_file(tmp_path)
    workflow = looping(
        workflow="revise.interlock.yaml", max_iterations=5, until="approved", carry="draft"
    )
    store = SqliteRunStore(tmp_path / "runs.db")
    result, events = run(workflow, {"x": "v"}, store=store, base_dir=tmp_path)  # type: ignore[arg-type]
    assert result.status == "succeeded", result.error
    assert result.outputs == {"o": "v+++", "n": 3, "ok": True}
    children = [e.child_run_id for e in events if isinstance(e, LoopIteration)]
    assert len(children) == 3 and all(children)
    assert [store.get_run(c).parent_run_id for c in children] == [result.run_id] * 3  # type: ignore[union-attr]


def _polling_files(tmp_path: Path) -> Any:
    """Each iteration reads docs/step<N>.txt with the real file_read tool."""
    child = wf(
        [
            {"id": "state", "kind": "input"},
            {"id": "iteration", "kind": "input"},
            {
                "id": "read",
                "kind": "tool",
                "config": {
                    "tool": "file_read",
                    "inputs": ["n"],
                    "arguments": {"path": "docs/step{{ n }}.txt"},
                },
            },
            {"id": "content", "kind": "output"},
        ],
        [("iteration.value", "read.n"), ("read.result", "content.value")],
        inputs=[{"name": "state", "type": "any"}, {"name": "iteration", "type": "integer"}],
        policy={
            "allowed_tools": ["file_read"],
            "tool_scopes": {"file_read": {"roots": [{"path": "docs", "mode": "read"}]}},
        },
    )
    save_workflow(child, tmp_path / "poll.interlock.yaml")
    return looping(
        workflow="poll.interlock.yaml",
        max_iterations=4,
        until="'ready' in content.content",
        carry="content",
    )


def test_a_resumed_loop_continues_after_its_last_iteration(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    for n in (1, 2):
        (tmp_path / "docs" / f"step{n}.txt").write_text("not yet")
    workflow = _polling_files(tmp_path)
    store = SqliteRunStore(tmp_path / "runs.db")
    engine = Engine(make_registry(), store=store)
    first = asyncio.run(engine.run(workflow, {"x": None}, base_dir=tmp_path))
    assert first.status == "failed" and "iteration 3" in (first.error or "")
    (tmp_path / "docs" / "step3.txt").write_text("ready")
    events: list[RunEvent] = []
    second = asyncio.run(
        engine.resume(first.run_id, subscribers=[events.append], base_dir=tmp_path)
    )
    assert second.status == "succeeded", second.error
    assert second.outputs["n"] == 3 and second.outputs["ok"] is True
    # Iterations 1 and 2 were not run again: only the third, in this process.
    assert [e.iteration for e in events if isinstance(e, LoopIteration)] == [3]
    all_events = store.events(first.run_id)
    assert [e.iteration for e in all_events if isinstance(e, LoopIteration)] == [1, 2, 3]


@pytest.mark.parametrize("body", ["template", "workflow"])
def test_a_loop_is_cached_only_when_its_body_may_be(tmp_path: Path, body: str) -> None:
    _revise_file(tmp_path)
    config: dict[str, Any] = (
        {"template": BANG, "until": "text | length >= 3"}
        if body == "template"
        else {"workflow": "revise.interlock.yaml", "until": "approved", "carry": "draft"}
    )
    workflow = looping(max_iterations=5, **config)
    store = SqliteRunStore(tmp_path / "runs.db")
    run(workflow, {"x": "v"}, store=store, base_dir=tmp_path)  # type: ignore[arg-type]
    again, _ = run(workflow, {"x": "v"}, store=store, base_dir=tmp_path)  # type: ignore[arg-type]
    assert again.nodes["loop"] == "cached"
    approval = looping(max_iterations=2, template={"kind": "approval", "config": {}})
    assert (
        not make_registry()
        .get("loop")
        .is_cacheable(  # type: ignore[union-attr]
            make_registry().get("loop").parse_config(approval.nodes[1].config),  # type: ignore[union-attr]
            make_registry(),
            tmp_path,
        )
    )


@pytest.mark.slow
@pytest.mark.model
def test_a_resumed_loop_counts_its_kept_iterations_tokens_once(tmp_path: Path) -> None:
    """Each iteration's child run asks the bundled model first: the two iterations the
    failed attempt finished are counted by it, the third by the resumed one, as in a run
    that never failed."""
    (tmp_path / "docs").mkdir()
    for n in (1, 2):
        (tmp_path / "docs" / f"step{n}.txt").write_text("not yet")
    workflow = _polling_files(tmp_path)
    data = workflow_to_data(load_workflow(tmp_path / "poll.interlock.yaml").workflow)
    data["nodes"].insert(2, {
        "id": "say", "kind": "llm", "config": {
            "model": SMOLLM2_ID, "prompt": "Count to {{ n }}.", "max_tokens": 4,
            "temperature": 0, "inputs": ["n"],
        },
    })  # fmt: skip
    data["nodes"].append({"id": "said", "kind": "output"})
    data["edges"] += [
        {"source": "iteration.value", "target": "say.n"},
        {"source": "say.text", "target": "said.value"},
    ]
    (tmp_path / "poll.interlock.yaml").write_text(json.dumps(data))  # JSON is YAML
    store = SqliteRunStore(tmp_path / "runs.db")
    providers = ProviderRegistry([default_local_provider()], default_model=SMOLLM2_ID)
    engine = Engine(make_registry(), providers, store=store, use_cache=False)
    first = asyncio.run(engine.run(workflow, {"x": None}, base_dir=tmp_path))
    assert first.status == "failed" and "iteration 3" in (first.error or "")
    (tmp_path / "docs" / "step3.txt").write_text("ready")
    second = asyncio.run(engine.resume(first.run_id, base_dir=tmp_path))
    assert second.status == "succeeded", second.error
    clean = asyncio.run(engine.run(workflow, {"x": None}, base_dir=tmp_path))
    assert clean.status == "succeeded" and clean.outputs == second.outputs
    assert clean.tokens > 0 and second.tokens == clean.tokens
