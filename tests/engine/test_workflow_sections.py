"""Workflow-wide sections edited on their own: checked with the loader's own messages, and
the document's metadata, policy and input declarations changed with one event each."""

from __future__ import annotations

import pytest

from engine.errors import WorkflowLoadError
from engine.nodes import builtin_registry
from engine.nodes.prompt_ports import missing_ports, prompt_port_problems, renamed_port
from engine.sandbox import template_names
from engine.workflow.changes import Change, DirtyChanged, WorkflowChanged
from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import loads_workflow
from engine.workflow.model import (
    InputDecl,
    Metadata,
    Node,
    Workflow,
    WorkflowPolicy,
)
from engine.workflow.sections import SectionInvalid, check_section


@pytest.mark.parametrize(
    ("model", "where", "data", "text"),
    [
        (Metadata, ("metadata",), {"name": ""}, "metadata: {name: ''}"),
        (
            WorkflowPolicy,
            ("policy",),
            {"max_parallelism": 0},
            "metadata: {name: w}\npolicy: {max_parallelism: 0}",
        ),
        (
            WorkflowPolicy,
            ("policy",),
            {"budget": {"on_exceed": "panic"}},
            "metadata: {name: w}\npolicy: {budget: {on_exceed: panic}}",
        ),
        (
            InputDecl,
            ("inputs", 0),
            {"name": "a b", "type": "text"},
            "metadata: {name: w}\ninputs: [{name: a b, type: text}]",
        ),
    ],
)
def test_a_section_is_refused_with_the_loaders_messages(
    model: type[Metadata | WorkflowPolicy | InputDecl],
    where: tuple[str | int, ...],
    data: dict[str, object],
    text: str,
) -> None:
    with pytest.raises(WorkflowLoadError) as loaded:
        loads_workflow(f"version: 1\n{text}\n")
    with pytest.raises(SectionInvalid) as checked:
        check_section(model, data, where)
    assert checked.value.messages == [p.message for p in loaded.value.problems]
    assert checked.value.messages[0].startswith(".".join(map(str, where)) + ".")


def test_document_sections_change_with_one_event_each() -> None:
    document = WorkflowDocument()
    seen: list[Change] = []
    document.subscribe(seen.append)
    document.set_metadata(Metadata(name="Tickets", tags=["ops"]))
    document.set_policy(WorkflowPolicy(offline=True))
    document.add_input(InputDecl(name="ticket"))
    document.replace_input(0, InputDecl(name="text", required=True))
    document.remove_input("text")
    document.set_policy(WorkflowPolicy(offline=True))  # unchanged: nothing
    document.set_metadata(Metadata(name="Tickets", tags=["ops"]))
    assert seen == [
        DirtyChanged(True),
        WorkflowChanged("metadata"),
        WorkflowChanged("policy"),
        WorkflowChanged("inputs"),
        WorkflowChanged("inputs"),
        WorkflowChanged("inputs"),
    ]
    assert document.workflow.metadata.tags == ["ops"] and document.workflow.policy.offline
    assert document.workflow.inputs == []


def test_replacing_an_input_refuses_a_name_already_declared() -> None:
    document = WorkflowDocument()
    document.add_input(InputDecl(name="a"))
    document.add_input(InputDecl(name="b"))
    with pytest.raises(ValueError, match="'a' is already declared"):
        document.replace_input(1, InputDecl(name="a"))
    assert [d.name for d in document.workflow.inputs] == ["a", "b"]


def test_template_names_leave_out_loop_names_and_globals() -> None:
    source = "{{ topic }}{% for x in items %}{{ x }}{% endfor %}{% set y = 1 %}{{ y }}{{ len(z) }}"
    assert template_names(source) == {"topic", "items", "z"}


def test_missing_ports_of_llm_and_template_nodes() -> None:
    registry = builtin_registry()
    llm = Node(
        id="ask",
        kind="llm",
        config={"prompt": "{{ question }} {{ in }}", "system": "{{ tone }} {{ inputs }}"},
    )
    assert missing_ports(llm, registry) == {"question": "prompt", "tone": "system"}
    template = Node(id="t", kind="template", config={"template": "{{ a }}", "inputs": ["a"]})
    assert missing_ports(template, registry) == {}
    broken = Node(id="b", kind="template", config={"template": "{{ a "})
    assert missing_ports(broken, registry) == {}  # validation reports the syntax
    other = Node(id="o", kind="output", config={})
    assert missing_ports(other, registry) == {}
    workflow = Workflow(metadata=Metadata(name="w"), nodes=[other, llm])
    problems = prompt_port_problems(workflow, registry)
    assert [path for path, _ in problems] == [
        ("nodes", 1, "config", "prompt"),
        ("nodes", 1, "config", "system"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (["in"], ["text"], ("in", "text")),
        (["a", "b"], ["a", "c"], ("b", "c")),
        (["a", "b"], ["b", "a"], None),
        (["a"], ["a", "b"], None),
        (["a", "b"], ["x", "y"], None),
        (["a"], ["a"], None),
    ],
)
def test_renamed_port(old: list[str], new: list[str], expected: tuple[str, str] | None) -> None:
    assert renamed_port(old, new) == expected
