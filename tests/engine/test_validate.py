"""Graph validation: each kind of problem, reported with its YAML location."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.nodes import builtin_registry
from engine.runtime.validate import validate
from engine.workflow.loader import loads_workflow

HEAD = "version: 1\nmetadata: {name: v}\n"


def check(body: str, base_dir: Path | None = None) -> tuple[list[str], list[str]]:
    loaded = loads_workflow(HEAD + body)
    report = validate(loaded.workflow, builtin_registry(), loaded.locations, base_dir)
    fmt = lambda p: f"{p.line}:{p.column}: {p.message}"  # noqa: E731
    return [fmt(p) for p in report.errors], [fmt(p) for p in report.warnings]


def test_valid_graph_has_no_problems() -> None:
    errors, warnings = check(
        "inputs: [{name: x}]\nnodes:\n  - {id: x, kind: input}\n  - {id: o, kind: output}\n"
        "edges:\n  - {source: x.value, target: o.value}\n"
    )
    assert errors == [] and warnings == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("nodes:\n  - {id: a, kind: nope}\n", "4:13: unknown node kind 'nope'"),
        (
            "nodes:\n  - {id: a, kind: input}\n  - {id: a, kind: input}\n",
            "5:6: duplicate node id 'a'",
        ),
        (
            "nodes:\n  - {id: t, kind: template, config: {template: x}}\n",
            "4:5: node 't': input port 'in' is not connected",
        ),
        (
            "nodes:\n  - {id: t, kind: template, config: {template: '{{ x'}}\n",
            "node 't': template error",
        ),
        (
            "nodes:\n  - {id: t, kind: template, config: {inputs: []}}\n",
            "4:29: node 't': template: missing: this setting is required, add a value",
        ),
        (
            "nodes:\n  - {id: t, kind: template, config: {template: x, inputs: []}}\n"
            "edges:\n  - {source: t.text, target: ghost.in}\n",
            "6:22: edge t.text -> ghost.in: no node 'ghost'",
        ),
        (
            "nodes:\n  - {id: t, kind: template, config: {template: x, inputs: []}}\n"
            "  - {id: o, kind: output}\n"
            "edges:\n  - {source: t.nope, target: o.value}\n",
            "7:6: edge t.nope -> o.value: node 't' has no output port 'nope' (has: text)",
        ),
        (
            "inputs: [{name: x}]\nnodes:\n  - {id: x, kind: input}\n  - {id: o, kind: output}\n"
            "edges:\n  - {source: x.value, target: o.value}\n"
            "  - {source: x.value, target: o.value}\n",
            "input port o.value already has an edge",
        ),
        ("nodes:\n  - {id: s, kind: input}\n", "input node 's' reads undeclared input 's'"),
        (
            "nodes:\n  - {id: a, kind: template, config: {template: x}}\n"
            "  - {id: b, kind: template, config: {template: x}}\n"
            "edges:\n  - {source: a.text, target: b.in}\n  - {source: b.text, target: a.in}\n",
            "cycle: a -> b -> a",
        ),
        (
            "nodes:\n  - {id: m, kind: map, config: {template: {kind: template}}}\n"
            "  - {id: t, kind: template, config: {template: x, inputs: []}}\n"
            "edges:\n  - {source: t.text, target: m.items}\n",
            "type mismatch (string into array)",
        ),
        (
            "nodes:\n  - {id: s, kind: subworkflow, config: {workflow: missing.yaml}}\n",
            "workflow file 'missing.yaml' not found",
        ),
        (
            "nodes:\n  - {id: j, kind: join, config: {mode: quorum, quorum: 3}}\n",
            "quorum 3 exceeds the 2 inputs",
        ),
    ],
)
def test_each_problem_is_reported_with_location(body: str, expected: str) -> None:
    errors, _ = check(body)
    assert any(expected in e for e in errors), errors


def test_node_whose_result_reaches_no_output_is_flagged_unreachable() -> None:
    errors, warnings = check(
        "inputs: [{name: x}]\nnodes:\n  - {id: x, kind: input}\n  - {id: o, kind: output}\n"
        "  - {id: lost, kind: template, config: {template: x, inputs: []}}\n"
        "edges:\n  - {source: x.value, target: o.value}\n"
    )
    assert errors == []
    assert warnings == ["7:5: node 'lost' is unreachable from every output: its result is unused"]


def test_routed_errors_get_an_error_port() -> None:
    errors, _ = check(
        "nodes:\n  - {id: t, kind: template, config: {template: x, inputs: []}, "
        "policy: {on_error: route}}\n  - {id: o, kind: output}\n"
        "edges:\n  - {source: t.error, target: o.value}\n"
    )
    assert errors == []


def test_tool_grants_and_approval_rules_are_checked() -> None:
    errors, _ = check(
        "policy:\n  allowed_tools: [file_read, teleport]\n"
        "  tool_scopes:\n    file_read: {roots: 7}\n"
    )
    assert any("4:3: policy.allowed_tools: unknown tool 'teleport'" in e for e in errors), errors
    assert any("policy.tool_scopes.file_read" in e for e in errors), errors
