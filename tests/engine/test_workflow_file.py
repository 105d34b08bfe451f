"""Workflow files: safe loading with locations, deterministic saving, migrations, schema."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from engine.errors import WorkflowLoadError
from engine.nodes import builtin_registry
from engine.nodes.schema import workflow_json_schema
from engine.runtime.engine import Engine
from engine.workflow.loader import (
    MAX_DEPTH,
    dumps_workflow,
    load_workflow,
    loads_workflow,
    save_workflow,
    workflow_hash,
)
from engine.workflow.migrations import MIGRATIONS, migrate
from engine.workflow.model import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.interlock.yaml"))
DATA = Path(__file__).parent / "data"


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(WorkflowLoadError) as info:
        loads_workflow(text)
    return [(p.line, p.column, p.message) for p in info.value.problems]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_round_trip_exactly(path: Path, tmp_path: Path) -> None:
    loaded = load_workflow(path)
    text = dumps_workflow(loaded.workflow)
    again = loads_workflow(text).workflow
    assert again == loaded.workflow
    assert dumps_workflow(again) == text  # saving is deterministic
    target = tmp_path / "copy.interlock.yaml"
    save_workflow(again, target)
    assert target.read_text() == text
    assert workflow_hash(again) == workflow_hash(loaded.workflow)


def test_saved_keys_come_in_a_fixed_order() -> None:
    text = """
metadata: {name: order}
version: 1
nodes:
  - config: {template: x, inputs: []}
    kind: template
    id: t
"""
    dumped = dumps_workflow(loads_workflow(text).workflow)
    assert dumped.index("version") < dumped.index("metadata") < dumped.index("nodes")
    assert dumped.index("id: t") < dumped.index("kind: template")
    assert dumped.index("inputs: []") < dumped.index("template: x")  # config sorted


def test_errors_point_at_the_offending_yaml() -> None:
    text = (
        "version: 1\nmetadata:\n  name: x\nnodes:\n  - id: ok\n    kind: template\n"
        "    colour: red\n"
    )
    unknown = "nodes.0.colour: not a known setting: remove it or check its spelling"
    assert problems(text) == [(7, 5, unknown)]


def test_syntax_error_has_a_location() -> None:
    ((line, _col, message),) = problems("version: 1\nmetadata: {name: x\n")
    assert line == 3 and "YAML syntax error" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("!!python/object/apply:os.system ['echo hacked']", "unsupported YAML tag"),
        ("version: !!python/name:os.system 1\nmetadata: {name: x}", "unsupported YAML tag"),
        ("a: !custom 1", "unsupported YAML tag"),
        ("[1, 2]", "must be a YAML mapping"),
        ("version: 1\nversion: 1\nmetadata: {name: x}", "duplicate key 'version'"),
        ("version: 99\nmetadata: {name: x}", "newer than this Interlock understands"),
        ("version: one\nmetadata: {name: x}", "version must be an integer"),
        ("? [a, b]\n: 1", "mapping keys must be plain scalars"),
    ],
)
def test_hostile_or_broken_files_are_refused_without_running_code(text: str, fragment: str) -> None:
    messages = " ".join(m for _, _, m in problems(text))
    assert fragment in messages


def test_nesting_and_alias_bombs_are_capped() -> None:
    deep = "metadata: {name: x}\nx: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    assert "nesting deeper" in problems(deep)[0][2]
    bomb = ["metadata: {name: x}", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    assert "more than" in problems("\n".join(bomb))[0][2]


def test_large_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.interlock.yaml"
    big.write_text("metadata: {name: x}\n# " + "x" * (3 * 1024 * 1024))
    with pytest.raises(WorkflowLoadError, match="larger than"):
        load_workflow(big)


def test_unreadable_and_non_utf8_files_report_cleanly(tmp_path: Path) -> None:
    with pytest.raises(WorkflowLoadError, match="cannot read file"):
        load_workflow(tmp_path / "missing.interlock.yaml")
    latin = tmp_path / "latin.interlock.yaml"
    latin.write_bytes(b"metadata: {name: caf\xe9}\n")
    with pytest.raises(WorkflowLoadError, match="not UTF-8"):
        load_workflow(latin)


def test_version_0_file_migrates_and_runs() -> None:
    loaded = load_workflow(DATA / "v0" / "triage.yaml")
    assert loaded.workflow.version == SCHEMA_VERSION
    assert [n.id for n in loaded.workflow.nodes] == ["text", "shout", "result"]
    result = asyncio.run(Engine(builtin_registry()).run(loaded.workflow, {}))
    assert result.outputs == {"result": "HELLO"}


def test_migrations_are_pure_and_chain_to_current() -> None:
    old = {"interlock": 0, "name": "n", "nodes": {"a": {"kind": "input"}}, "edges": []}
    snapshot = json.dumps(old, sort_keys=True)
    new = migrate(old)
    assert json.dumps(old, sort_keys=True) == snapshot  # input untouched
    assert new["version"] == SCHEMA_VERSION
    assert sorted(MIGRATIONS) == list(range(SCHEMA_VERSION))


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "resources" / "schema" / "workflow.schema.json").read_text())
    assert committed == json.loads(json.dumps(workflow_json_schema(builtin_registry())))
    assert set(committed["x-node-kinds"]) == set(builtin_registry().names())
