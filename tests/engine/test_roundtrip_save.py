"""Saving a loaded workflow keeps its file's own YAML: comments, key order, quoting and flow
style of what was not edited survive, so a small edit is a small diff."""

from __future__ import annotations

import difflib
from pathlib import Path

from engine.workflow.document import WorkflowDocument
from engine.workflow.loader import dumps_workflow, load_workflow, loads_workflow
from engine.workflow.model import Edge, Node, NodePolicy, Position, RetryPolicy
from engine.workflow.roundtrip import dumps_roundtrip

SOURCE = """\
# Greeting workflow, kept by hand.
version: 1
metadata:
  name: greet   # short name
  tags: [demo, hand-written]
nodes:
  # the first step
  - id: a
    kind: template
    title: 'Greeting'
    position: {x: 0, y: 0}
    config:
      template: |
        Hello {{ who }},
        welcome.
      inputs: [who]
    policy:
      retry: {max_attempts: 1}
  - id: b
    kind: template
    position: {x: 300, y: 0}
    config: {template: "{{ in }}!"}
  - id: out
    kind: output
    position: {x: 600, y: 0}   # the end
edges:
  - {source: a.text, target: b.in}
  - {source: b.text, target: out.value}
"""


def _open(tmp_path: Path, text: str = SOURCE) -> tuple[WorkflowDocument, Path]:
    path = tmp_path / "greet.interlock.yaml"
    path.write_text(text, encoding="utf-8")
    return WorkflowDocument.open(path), path


def _changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_an_unedited_document_saves_its_file_byte_for_byte(tmp_path: Path) -> None:
    doc, path = _open(tmp_path)
    doc.save()
    assert path.read_text(encoding="utf-8") == SOURCE


def test_renaming_a_node_changes_only_its_title_line(tmp_path: Path) -> None:
    doc, path = _open(tmp_path)
    doc.rename_node("b", "Shout")
    doc.save()
    after = path.read_text(encoding="utf-8")
    assert _changed_lines(SOURCE, after) == ["+    title: Shout"]
    for line in SOURCE.splitlines():  # every original line, comments included, is still there
        assert line in after.splitlines()
    assert load_workflow(path).workflow.node("b").title == "Shout"


def test_editing_text_keeps_quoting_and_block_style(tmp_path: Path) -> None:
    doc, path = _open(tmp_path)
    doc.rename_node("a", "Hi")
    doc.set_node_config("a", {"template": "Hello {{ who }},\nwelcome back.\n", "inputs": ["who"]})
    doc.save()
    after = path.read_text(encoding="utf-8")
    assert _changed_lines(SOURCE, after) == [
        "-    title: 'Greeting'",
        "+    title: 'Hi'",
        "-        welcome.",
        "+        welcome back.",
    ]


def test_moving_removing_and_adding_touch_only_their_lines(tmp_path: Path) -> None:
    doc, path = _open(tmp_path)
    doc.move_node("out", 650, 0)
    doc.remove_edge(Edge.model_validate({"source": "b.text", "target": "out.value"}))
    doc.add_node(Node(id="c", kind="output", position=Position(x=650, y=200)))
    doc.add_edge(Edge.model_validate({"source": "b.text", "target": "c.value"}))
    doc.save()
    after = path.read_text(encoding="utf-8")
    assert after.startswith("# Greeting workflow, kept by hand.\n")
    assert "  name: greet   # short name\n" in after
    assert "  # the first step\n" in after
    assert "  - {source: a.text, target: b.in}\n" in after
    assert "out.value" not in after
    workflow = load_workflow(path).workflow
    assert [n.id for n in workflow.nodes] == ["a", "b", "out", "c"]
    assert workflow.node("out").position == Position(x=650, y=0)
    assert [str(e.target) for e in workflow.edges] == ["b.in", "c.value"]
    removed = [line for line in _changed_lines(SOURCE, after) if line.startswith("-")]
    assert removed == [
        "-    position: {x: 600, y: 0}   # the end",
        "-  - {source: b.text, target: out.value}",
    ]


def test_removing_a_node_removes_its_item_and_nothing_else(tmp_path: Path) -> None:
    doc, path = _open(tmp_path)
    doc.remove_node("b")
    doc.save()
    after = path.read_text(encoding="utf-8")
    assert "id: b" not in after and "b.in" not in after and "b.text" not in after
    assert "  # the first step\n" in after and "  name: greet   # short name\n" in after
    assert [n.id for n in load_workflow(path).workflow.nodes] == ["a", "out"]


def test_an_explicit_default_the_user_wrote_is_kept(tmp_path: Path) -> None:
    text = SOURCE.replace("    kind: output\n", "    kind: output\n    title: ''\n    config: {}\n")
    doc, path = _open(tmp_path, text)
    doc.move_node("out", 600, 40)
    policy = NodePolicy(retry=RetryPolicy(max_attempts=3))
    doc.set_node_policy("a", policy)
    doc.save()
    after = path.read_text(encoding="utf-8")
    assert _changed_lines(text, after) == [
        "-      retry: {max_attempts: 1}",
        "+      retry: {max_attempts: 3}",
        "-    position: {x: 600, y: 0}   # the end",
        "+    position: {x: 600, y: 40}  # the end",  # the comment stays in its column
    ]
    assert load_workflow(path).workflow.node("a").policy == policy


def test_a_new_document_saves_the_plain_dump(tmp_path: Path) -> None:
    doc = WorkflowDocument()
    doc.add_node(Node(id="a", kind="output"))
    target = doc.save(tmp_path / "new.interlock.yaml")
    assert target.read_text(encoding="utf-8") == dumps_workflow(doc.workflow)


def test_a_source_the_safe_loader_refuses_never_reaches_the_round_trip_parser(
    tmp_path: Path,
) -> None:
    doc, _ = _open(tmp_path)
    hostile = "!!python/object/apply:os.system ['touch " + str(tmp_path / "pwned") + "']\n"
    assert dumps_roundtrip(doc.workflow, hostile) == dumps_workflow(doc.workflow)
    assert not (tmp_path / "pwned").exists()
    tagged = SOURCE.replace("name: greet", "name: !!python/name:os.system greet")
    assert dumps_roundtrip(doc.workflow, tagged) == dumps_workflow(doc.workflow)


def test_a_source_unlike_the_model_still_saves_the_model() -> None:
    model = loads_workflow(SOURCE).workflow
    text = dumps_roundtrip(model, "version: 1\nmetadata: {name: other}\nextra: [1, 2]\n")
    assert loads_workflow(text).workflow == model
    assert "extra" not in text


def test_a_prepared_source_is_parsed_once_and_handed_on_by_each_save(tmp_path: Path) -> None:
    doc, path = _open(tmp_path)
    doc.prepare_source()  # what the app runs off the GUI thread after opening
    doc.rename_node("b", "One")
    doc.save()
    doc.rename_node("b", "Two")
    doc.save()
    after = path.read_text(encoding="utf-8")
    assert _changed_lines(SOURCE, after) == ["+    title: Two"]
    assert doc.source == after
