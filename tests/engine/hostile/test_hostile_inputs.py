"""Inputs from outside: deeply nested or huge JSON, big integers, NaN/Infinity and lone
surrogates are refused with a clear error (exit 2), and whatever a run holds is exported
as strict JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.errors import RunError
from engine.jsontext import dumps, strict
from engine.sandbox import SandboxLimitError, render
from engine.workflow.inputs import parse_json_text, resolve_inputs
from engine.workflow.model import Workflow
from tests.engine.hostile.cli import assert_no_traceback, cli_env, interlock

WORKFLOW = {
    "version": 1,
    "metadata": {"name": "inputs"},
    "inputs": [
        {"name": "data", "type": "any"},
        {"name": "text", "type": "string", "default": ""},
    ],
    "nodes": [
        {"id": "data", "kind": "input"},
        {"id": "text", "kind": "input"},
        {"id": "out", "kind": "output"},
        {"id": "echo", "kind": "output"},
    ],
    "edges": [
        {"source": "data.value", "target": "out.value"},
        {"source": "text.value", "target": "echo.value"},
    ],
}


def _strict_loads(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 5000 + "]" * 5000, "nested deeper than 64 levels"),
        ("[" * 500 + "]" * 500, "nested deeper than 64 levels"),
        ('{"a": ' * 100 + "1" + "}" * 100, "nested deeper than 64 levels"),
        ("9" * 5000, "integer beyond 64 bits"),
        ("-9223372036854775809", "integer beyond 64 bits"),
        ("NaN", "NaN, which is not a JSON number"),
        ("[Infinity]", "Infinity, which is not a JSON number"),
        ("-Infinity", "-Infinity, which is not a JSON number"),
        ("1e400", "too large for JSON"),
        ('"\\ud800"', "lone surrogate"),
        ('{"\\udc80": 1}', "lone surrogate"),
        ("[1,", "not valid JSON"),
    ],
    ids=lambda v: v[:24] if isinstance(v, str) else v,
)
def test_hostile_json_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(RunError, match="input 'data'") as caught:
        parse_json_text(text, "input 'data'")
    assert message in str(caught.value)


def test_plain_values_within_the_limits_pass() -> None:
    text = json.dumps({"a": [1, 2.5, "ü", None, True], "n": 2**63 - 1, "deep": [[[[]]]]})
    assert parse_json_text(text, "x")["n"] == 2**63 - 1


def test_values_given_in_python_are_checked_too() -> None:
    """The app and evaluations pass Python values: the same limits apply to them."""
    workflow = Workflow.model_validate(WORKFLOW)
    for bad in (math.nan, 10**30, "a\udcff", _nested(80)):
        with pytest.raises(RunError, match="input 'data'"):
            resolve_inputs(workflow, {"data": bad})
    assert resolve_inputs(workflow, {"data": _nested(10)})["data"] == _nested(10)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_strict_json_spells_out_what_json_cannot_hold() -> None:
    value = {"nan": math.nan, "inf": [math.inf, -math.inf], "text": "a\ud800b", "big": 10**5000}
    text = dumps(value)
    data = _strict_loads(text)
    assert data["nan"] == "NaN"
    assert data["inf"] == ["Infinity", "-Infinity"]
    assert data["text"] == "a\ufffdb"
    assert "5,000 digits" in data["big"] or "digits" in data["big"]
    assert strict(_nested(500)) != _nested(500)  # cut, so encoders never recurse out
    json.dumps(strict(_nested(5000)), indent=2)


def test_templates_cannot_build_values_nested_past_the_limit() -> None:
    source = (
        "{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}"
        "{% endfor %}{{ ns.x|length }}"
    )
    with pytest.raises(SandboxLimitError, match="nested deeper than 100 levels"):
        render(source, {})


# The real CLI.


@pytest.fixture
def workflow_file(tmp_path: Path) -> Path:
    path = tmp_path / "inputs.interlock.yaml"
    path.write_text(yaml.safe_dump(WORKFLOW, sort_keys=False))
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[" * 5000 + "]" * 5000, "nested deeper than 64 levels"),
        ("9" * 5000, "integer beyond 64 bits"),
        ("NaN", "not a JSON number"),
        ('"\\ud800"', "lone surrogate"),
    ],
    ids=["deep", "big-int", "nan", "surrogate"],
)
def test_cli_refuses_hostile_input_values(
    tmp_path: Path, workflow_file: Path, value: str, message: str
) -> None:
    env = cli_env(tmp_path)
    done = interlock(env, "run", str(workflow_file), "-q", "--input", f"data={value}")
    assert_no_traceback(done)
    assert done.code == 2, done.text
    assert "interlock: error: input 'data'" in done.err and message in done.err
    inputs_file = tmp_path / "inputs.json"
    inputs_file.write_text('{"data": ' + value + "}")
    done = interlock(env, "run", str(workflow_file), "-q", "--inputs-file", str(inputs_file))
    assert_no_traceback(done)
    assert done.code == 2, done.text
    assert message in done.err


@pytest.mark.slow
def test_cli_refuses_text_that_is_not_unicode(tmp_path: Path, workflow_file: Path) -> None:
    """Bytes that are not UTF-8 on the command line arrive as lone surrogates."""
    env = cli_env(tmp_path)
    done = interlock(env, "run", str(workflow_file), "-q", "--input", "text=caf\udce9")
    assert_no_traceback(done)
    assert done.code == 2, done.text
    assert "input 'text' holds text that is not valid Unicode" in done.err


@pytest.mark.slow
def test_exports_are_strict_json(tmp_path: Path) -> None:
    """A node may still produce NaN (a template's number output, a model's JSON): every
    JSON export and --json print spells it as a string."""
    workflow = {
        "version": 1,
        "metadata": {"name": "nan"},
        "nodes": [
            {
                "id": "make",
                "kind": "template",
                "config": {
                    "inputs": [],
                    "output_type": "array",
                    "template": '[NaN, Infinity, -Infinity, 1.5, "caf\\udce9"]',
                },
            },
            {"id": "out", "kind": "output"},
        ],
        "edges": [{"source": "make.text", "target": "out.value"}],
    }
    path = tmp_path / "nan.interlock.yaml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))
    env = cli_env(tmp_path)
    done = interlock(env, "run", str(path), "-q", "--json")
    assert_no_traceback(done)
    assert done.code == 0, done.text
    summary = _strict_loads(done.out)
    assert summary["outputs"]["out"] == ["NaN", "Infinity", "-Infinity", 1.5, "caf\ufffd"]
    run_id = summary["run_id"]
    for fmt in ("json", "otlp"):
        done = interlock(env, "report", run_id, "--format", fmt)
        assert_no_traceback(done)
        assert done.code == 0, done.text
        _strict_loads(done.out)
    done = interlock(env, "show", run_id, "--json")
    assert done.code == 0, done.text
    _strict_loads(done.out)
    for fmt in ("html", "md"):
        done = interlock(env, "report", run_id, "--format", fmt)
        assert_no_traceback(done)
        assert done.code == 0, done.text
    done = interlock(env, "show", run_id)
    assert_no_traceback(done)
    assert done.code == 0, done.text
