"""Validator messages for common mistakes read in plain words, with file, node and field."""

from __future__ import annotations

import pytest

from engine.errors import WorkflowLoadError
from engine.nodes import builtin_registry
from engine.runtime.validate import validate
from engine.workflow.loader import loads_workflow

HEAD = "version: 1\nmetadata: {name: v}\n"


def errors(body: str) -> list[str]:
    loaded = loads_workflow(HEAD + body)
    report = validate(loaded.workflow, builtin_registry(), loaded.locations)
    return [f"{p.line}:{p.column}: {p.message}" for p in report.errors]


def load_errors(body: str) -> list[str]:
    with pytest.raises(WorkflowLoadError) as caught:
        loads_workflow(HEAD + body)
    return [f"{p.line}:{p.column}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "nodes:\n  - {id: t, kind: tool, config: {tool: read_file, arguments: [a]}}\n",
            "4:51: node 't': arguments: should be a set of key: value settings, but is a list",
        ),
        (
            "nodes:\n  - {id: t, kind: template, config: {template: 3, inputs: []}}\n",
            "4:38: node 't': template: should be text, but is the number 3",
        ),
        (
            "nodes:\n  - {id: t, kind: template, config: {inputs: [], tempalte: x}}\n",
            "4:29: node 't': template: missing: this setting is required, add a value",
        ),
    ],
)
def test_config_mistakes_read_in_plain_words(body: str, expected: str) -> None:
    assert expected in errors(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "nodes:\n  - {id: t, kind: input, policy: {retry: {max_attempts: 0}}}\n",
            "4:43: nodes.0.policy.retry.max_attempts: should be 1 or more, but is 0",
        ),
        (
            "nodes:\n  - {id: t, kind: input, policy: {on_error: skip}}\n",
            "4:35: nodes.0.policy.on_error: should be one of fail, continue or route, "
            "but is the text 'skip'",
        ),
        (
            "nodes:\n  - {id: 2nd, kind: input}\n",
            "4:6: nodes.0.id: should be an id of letters, digits, _ and - that starts with a "
            "letter or _ (at most 64 characters), but is the text '2nd'",
        ),
        (
            "nodes:\n  - {id: t, kind: input, policy: {retry: 3}}\n",
            "4:35: nodes.0.policy.retry: should be a set of key: value settings, "
            "but is the number 3",
        ),
    ],
)
def test_file_mistakes_read_in_plain_words(body: str, expected: str) -> None:
    found = load_errors(body)
    assert expected in found, found
    assert not any("Input should" in m or "dict" in m for m in found)
