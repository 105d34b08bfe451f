"""Templates and expressions that try to exhaust the machine: size bombs are refused before
they are built, CPU loops stop at the node's timeout, deep nesting and constant bombs are
validation errors (FILE:LINE:COL, exit 2), never tracebacks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.sandbox import (
    SandboxError,
    SandboxLimitError,
    SandboxTimeout,
    check_expression,
    check_template,
    evaluate,
    render,
    sandbox_scope,
)
from tests.engine.hostile.cli import assert_no_traceback, cli_env, interlock

SIZE_BOMBS = [
    ("{{ text * 100000000 }}", {"text": "0123456789"}),
    ("{{ 100000000 * text }}", {"text": "0123456789"}),
    ("{{ [text] * 100000000 }}", {"text": "x"}),
    ("{{ '%0999999999d' % 1 }}", {}),
    ("{{ '%*d' % (999999999, 1) }}", {}),
    ("{{ '%.999999999f' % 1.5 }}", {}),
    ("{{ '{:0999999999}'.format(1) }}", {}),
    ("{{ '{:{w}}'.format(1, w=999999999) }}", {}),
    ("{{ '%s'|format('x') ~ ('%0999999999d'|format(1)) }}", {}),
    ("{{ 'x'.center(10**9) }}", {}),
    ("{{ 'x'.zfill(10**9) }}", {}),
    ("{{ '\t'.expandtabs(10**9) }}", {}),
    ("{{ 'x'|center(1000000000) }}", {}),
    ("{{ 'a\nb'|indent(1000000000) }}", {}),
    ("{{ 'ab'.replace('', text * 4000000) }}", {"text": "y"}),
    ("{{ range(100000)|map('string')|join(text * 1000) }}", {"text": "x"}),
    ("{{ (text * 1000).join(range(100000)|map('string')) }}", {"text": "x"}),
    ("{{ [1]|batch(10**9, 'x')|list }}", {}),
    ("{{ [1]|slice(10**9)|list }}", {}),
    ("{{ 10**100000 }}", {}),
    ("{{ (1).to_bytes(10**9, 'big') }}", {}),
    (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
        {},
    ),
    (
        "{% set ns = namespace(s=[1]) %}{% for i in range(100) %}"
        "{% set ns.s = [ns.s, ns.s] %}{% endfor %}{{ ns.s }}",
        {},
    ),
    ("{% for i in range(100000) %}{{ text }}{% endfor %}", {"text": "x" * 1000}),
    (
        "{% macro m() %}{% for i in range(100000) %}{{ text }}{% endfor %}{% endmacro %}"
        "{% set x = m() %}{{ x|length }}",
        {"text": "x" * 1000},
    ),
]


@pytest.mark.parametrize(("source", "variables"), SIZE_BOMBS)
def test_size_bombs_are_refused_before_they_are_built(
    source: str, variables: dict[str, Any]
) -> None:
    with pytest.raises(SandboxLimitError) as caught:
        render(source, variables)
    message = str(caught.value)
    assert "limit" in message or "digits" in message, message
    assert caught.value.error_class == "config"


def test_a_large_input_within_the_limit_still_renders() -> None:
    text = "word " * 200_000  # a million characters
    assert render("{{ doc }}", {"doc": text}) == text
    assert render("{{ doc|upper|length }}", {"doc": text}) == str(len(text))


def test_the_limit_is_configurable_per_scope() -> None:
    with sandbox_scope(max_chars=1_000), pytest.raises(SandboxLimitError, match="1,000"):
        render("{{ text * 600 }}", {"text": "ab"})
    with sandbox_scope(max_chars=50_000_000):
        assert len(render("{{ text * 6000000 }}", {"text": "ab"})) == 12_000_000


CPU_TEMPLATES = [
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{{ (([[1]] * 100000)|sum(start=[]))|length }}",
]
SLOW_EXPRESSION = "(range(100000)" + "|map('string')" * 30 + "|list|length) > 0"


@pytest.mark.parametrize("source", CPU_TEMPLATES)
def test_cpu_loops_stop_at_the_deadline(source: str) -> None:
    with sandbox_scope(timeout_s=0.3), pytest.raises(SandboxTimeout, match=r"timeout of 0\.3s"):
        render(source, {})


def test_a_slow_expression_stops_at_the_deadline() -> None:
    with sandbox_scope(timeout_s=0.3), pytest.raises(SandboxTimeout) as caught:
        evaluate(SLOW_EXPRESSION, {})
    assert caught.value.error_class == "timeout"


def test_without_a_node_timeout_the_template_time_limit_applies() -> None:
    with sandbox_scope(max_seconds=0.3), pytest.raises(SandboxTimeout, match="max_seconds"):
        render(CPU_TEMPLATES[0], {})


DEEP = [
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "{{ " + "[" * 3000 + "]" * 3000 + " }}",
    "{{ 1" + " + 1" * 3000 + " }}",
    "{{ x" + "|string" * 3000 + " }}",
    "{{ x" + ".a" * 3000 + " }}",
    "{{ " + "not " * 3000 + "x }}",
    "{{ " + "-" * 3000 + "1 }}",
    "{% if x %}" * 200 + "{% endif %}" * 200,
    "{% for x in y %}" * 200 + "{% endfor %}" * 200,
    "{% set a %}" * 200 + "{% endset %}" * 200,
    "{% macro m() %}" * 200 + "{% endmacro %}" * 200,
]


@pytest.mark.parametrize("source", DEEP, ids=range(len(DEEP)))
def test_deep_nesting_is_a_problem_not_a_recursion_error(source: str) -> None:
    problem = check_template(source)
    assert problem is not None
    assert "nested" in problem or "in a row" in problem, problem
    with pytest.raises(SandboxLimitError):
        render(source, {"x": 1, "y": []})


def test_deep_expressions_are_problems_too() -> None:
    for source in ("(" * 3000 + "1" + ")" * 3000, "not " * 3000 + "x", "1" + "+1" * 3000):
        assert check_expression(source) is not None
        with pytest.raises(SandboxLimitError):
            evaluate(source, {"x": 1})


def test_nesting_within_the_limits_compiles() -> None:
    nested = "{% for x in y %}" * 12 + "{{ x }}" + "{% endfor %}" * 12
    assert check_template(nested) is None
    assert check_template("{{ " + "(" * 15 + "1" + ")" * 15 + " }}") is None
    assert check_expression("a" + " + a" * 30) is None


def test_constant_folding_bombs_are_validation_problems() -> None:
    problem = check_template("{{ 'a' * 10**10 }}")
    assert problem is not None and "constant expression" in problem
    assert check_expression("[0] * 9**9 == []") is not None
    assert check_template("{{ 2 ** 100000 }}") is not None


def test_lipsum_and_other_unbounded_globals_are_gone() -> None:
    with pytest.raises(SandboxError, match="lipsum"):
        render("{{ lipsum(n=1000000) }}", {})


# The real CLI: a failed node with a clear error within its timeout, bounded memory.


def _workflow(nodes: list[dict[str, Any]], edges: list[tuple[str, str]]) -> str:
    return yaml.safe_dump(
        {
            "version": 1,
            "metadata": {"name": "hostile"},
            "inputs": [{"name": "text", "type": "string", "default": "0123456789"}],
            "nodes": [{"id": "text", "kind": "input"}, *nodes, {"id": "out", "kind": "output"}],
            "edges": [{"source": s, "target": t} for s, t in edges],
        },
        sort_keys=False,
    )


def _template_node(template: str, **policy: Any) -> dict[str, Any]:
    node = {"id": "bomb", "kind": "template", "config": {"inputs": ["text"], "template": template}}
    return {**node, "policy": policy} if policy else node


@pytest.mark.slow
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ text * 100000000 }}", "template size limit"),
        ("{{ '%0999999999d' % (text|length) }}", "template size limit"),
        (CPU_TEMPLATES[0], "timeout of 2s"),
    ],
    ids=["repeat", "format-width", "cpu-loop"],
)
def test_cli_run_fails_the_node_clearly_within_bounds(
    tmp_path: Path, template: str, expected: str
) -> None:
    path = tmp_path / "bomb.interlock.yaml"
    path.write_text(
        _workflow(
            [_template_node(template, timeout_s=2)],
            [("text.value", "bomb.text"), ("bomb.text", "out.value")],
        )
    )
    done = interlock(cli_env(tmp_path), "run", str(path), "--json", timeout=90)
    assert_no_traceback(done)
    assert done.code == 1, done.text
    assert expected in done.text
    assert done.max_rss_mb < 400, done.max_rss_mb


@pytest.mark.slow
def test_cli_branch_condition_stops_at_its_timeout(tmp_path: Path) -> None:
    branch = {
        "id": "pick",
        "kind": "branch",
        "policy": {"timeout_s": 2},
        "config": {"inputs": ["text"], "cases": [{"port": "yes", "when": SLOW_EXPRESSION}]},
    }
    path = tmp_path / "branch.interlock.yaml"
    path.write_text(_workflow([branch], [("text.value", "pick.text"), ("pick.yes", "out.value")]))
    done = interlock(cli_env(tmp_path), "run", str(path), timeout=90)
    assert_no_traceback(done)
    assert done.code == 1, done.text
    assert "timeout of 2s" in done.text


@pytest.mark.slow
@pytest.mark.parametrize(
    "hostile",
    [
        _template_node("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}"),
        _template_node("{{ 'a' * 10**10 }}"),
        _template_node("{% if text %}" * 150 + "{% endif %}" * 150),
        {
            "id": "bomb",
            "kind": "branch",
            "config": {
                "inputs": ["text"],
                "cases": [{"port": "a", "when": "(" * 3000 + ")" * 3000}],
            },
        },
    ],
    ids=["parens", "constant-fold", "blocks", "branch-when"],
)
def test_cli_validate_reports_hostile_templates_as_located_problems(
    tmp_path: Path, hostile: dict[str, Any]
) -> None:
    path = tmp_path / "deep.interlock.yaml"
    port = "bomb.text" if hostile["kind"] == "template" else "bomb.a"
    path.write_text(_workflow([hostile], [("text.value", "bomb.text"), (f"{port}", "out.value")]))
    done = interlock(cli_env(tmp_path), "validate", str(path), timeout=90)
    assert_no_traceback(done)
    assert done.code == 2, done.text
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: node 'bomb': ", done.out), done.text
    assert done.max_rss_mb < 400, done.max_rss_mb


def test_validation_checks_constants_against_the_workflows_own_limit() -> None:
    from engine.nodes import default_registry
    from engine.runtime.validate import validate
    from engine.workflow.model import Workflow

    def workflow(max_chars: int) -> Workflow:
        return Workflow.model_validate(
            {
                "version": 1,
                "metadata": {"name": "limits"},
                "nodes": [
                    {
                        "id": "t",
                        "kind": "template",
                        "config": {"inputs": [], "template": "{{ 'a' * 5000 }}"},
                    },
                    {"id": "out", "kind": "output"},
                ],
                "edges": [{"source": "t.text", "target": "out.value"}],
                "policy": {"templates": {"max_chars": max_chars}},
            }
        )

    assert validate(workflow(5_000_000), default_registry()).ok
    report = validate(workflow(2_000), default_registry())
    assert not report.ok and "2,000 characters" in report.errors[0].message
