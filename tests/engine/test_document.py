"""WorkflowDocument: the only mutator of a workflow in the desktop, and its change events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.workflow.document import (
    DirtyChanged,
    DocumentReset,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    WorkflowDocument,
)
from engine.workflow.loader import dumps_workflow, load_workflow
from engine.workflow.model import Edge, Node, NodePolicy, Workflow


def _workflow() -> Workflow:
    return Workflow.model_validate(
        {
            "metadata": {"name": "doc"},
            "nodes": [
                {"id": "a", "kind": "template", "config": {"template": "hi"}},
                {"id": "b", "kind": "template", "config": {"template": "{{ in }}"}},
                {"id": "c", "kind": "output"},
            ],
            "edges": [
                {"source": "a.text", "target": "b.in"},
                {"source": "b.text", "target": "c.value"},
            ],
        }
    )


def _edge(source: str, target: str) -> Edge:
    return Edge.model_validate({"source": source, "target": target})


@pytest.fixture
def doc() -> WorkflowDocument:
    return WorkflowDocument(_workflow())


@pytest.fixture
def changes(doc: WorkflowDocument) -> list[Any]:
    seen: list[Any] = []
    doc.subscribe(seen.append)
    return seen


def test_add_node_emits_and_marks_dirty(doc: WorkflowDocument, changes: list[Any]) -> None:
    node = doc.add_node(Node(id="d", kind="output"), index=1)
    assert [n.id for n in doc.nodes] == ["a", "d", "b", "c"]
    assert changes == [DirtyChanged(True), NodeAdded(node, 1)]
    assert doc.dirty


def test_add_node_copies_its_argument(doc: WorkflowDocument) -> None:
    original = Node(id="d", kind="output")
    doc.add_node(original)
    original.title = "changed outside"
    assert doc.node("d").title == ""


def test_duplicate_node_id_is_refused(doc: WorkflowDocument, changes: list[Any]) -> None:
    with pytest.raises(ValueError, match="already exists"):
        doc.add_node(Node(id="a", kind="output"))
    assert changes == [] and not doc.dirty


def test_remove_node_takes_its_edges_and_restore_puts_all_back(
    doc: WorkflowDocument, changes: list[Any]
) -> None:
    before = dumps_workflow(doc.workflow)
    removed = doc.remove_node("b")
    assert [n.id for n in doc.nodes] == ["a", "c"]
    assert doc.edges == []
    assert [type(c) for c in changes] == [EdgeRemoved, EdgeRemoved, DirtyChanged, NodeRemoved]
    assert [i for i, _ in removed.edges] == [0, 1]
    doc.restore_node(removed)
    assert dumps_workflow(doc.workflow) == before


def test_remove_unknown_node_raises_key_error(doc: WorkflowDocument) -> None:
    with pytest.raises(KeyError):
        doc.remove_node("zzz")


def test_move_rename_config_policy_emit_typed_changes(
    doc: WorkflowDocument, changes: list[Any]
) -> None:
    doc.move_node("a", 10, 20)
    doc.rename_node("a", "Greeting")
    doc.set_node_config("a", {"template": "bye"})
    doc.set_node_policy("a", NodePolicy(on_error="continue"))
    node = doc.node("a")
    assert (node.position.x, node.position.y, node.title) == (10, 20, "Greeting")
    assert node.config == {"template": "bye"} and node.policy.on_error == "continue"
    assert changes[1:] == [
        NodeMoved("a", 10, 20),
        NodeChanged(node, "title"),
        NodeChanged(node, "config"),
        NodeChanged(node, "policy"),
    ]


def test_a_drag_lands_on_whole_pixels(doc: WorkflowDocument, changes: list[Any]) -> None:
    doc.move_node("a", 117.70935960591135, -40.4999)
    node = doc.node("a")
    assert (node.position.x, node.position.y) == (118.0, -40.0)
    assert changes[-1] == NodeMoved("a", 118.0, -40.0)
    assert "117.7" not in dumps_workflow(doc.workflow)


def test_no_op_edits_emit_nothing(doc: WorkflowDocument, changes: list[Any]) -> None:
    node = doc.node("a")
    doc.move_node("a", node.position.x, node.position.y)
    doc.rename_node("a", node.title)
    doc.set_node_config("a", dict(node.config))
    doc.set_node_policy("a", NodePolicy())
    assert changes == [] and not doc.dirty


def test_config_is_copied_in(doc: WorkflowDocument) -> None:
    config: dict[str, Any] = {"template": "x", "inputs": ["p"]}
    doc.set_node_config("a", config)
    config["inputs"].append("q")
    assert doc.node("a").config["inputs"] == ["p"]


def test_edges_need_existing_nodes_and_no_duplicates(
    doc: WorkflowDocument, changes: list[Any]
) -> None:
    with pytest.raises(ValueError, match="no node 'zzz'"):
        doc.add_edge(_edge("zzz.text", "c.value"))
    with pytest.raises(ValueError, match="already exists"):
        doc.add_edge(_edge("a.text", "b.in"))
    assert changes == []
    edge = doc.add_edge(_edge("a.text", "c.value"), index=0)
    assert changes[-1] == EdgeAdded(edge, 0)
    assert doc.remove_edge(_edge("a.text", "c.value")) == 0
    assert changes[-1] == EdgeRemoved(edge, 0)
    with pytest.raises(ValueError, match="no edge"):
        doc.remove_edge(_edge("a.text", "c.value"))


def test_constructor_refuses_broken_graphs() -> None:
    data = _workflow().model_dump()
    data["nodes"].append(data["nodes"][0])
    with pytest.raises(ValueError, match="duplicate node ids: a"):
        WorkflowDocument(Workflow.model_validate(data))
    data = _workflow().model_dump()
    data["edges"].append(
        {"source": {"node": "x", "port": "o"}, "target": {"node": "a", "port": "i"}}
    )
    with pytest.raises(ValueError, match="no node 'x'"):
        WorkflowDocument(Workflow.model_validate(data))


def test_unique_id(doc: WorkflowDocument) -> None:
    assert doc.unique_id("template") == "template"
    assert doc.unique_id("a") == "a_2"
    doc.add_node(Node(id="a_2", kind="output"))
    assert doc.unique_id("a") == "a_3"
    assert doc.unique_id("9 lives!") == "n_9_lives_"


def test_save_open_round_trip_and_clean_state(doc: WorkflowDocument, tmp_path: Path) -> None:
    doc.move_node("a", 5, 6)
    assert doc.dirty
    with pytest.raises(ValueError, match="no path"):
        doc.save()
    path = doc.save(tmp_path / "w.interlock.yaml")
    assert not doc.dirty and doc.path == path
    again = WorkflowDocument.open(path)
    assert again.workflow == doc.workflow
    assert load_workflow(path).workflow == doc.workflow


def test_reset_replaces_everything_and_is_clean(doc: WorkflowDocument, changes: list[Any]) -> None:
    doc.remove_node("c")
    fresh = _workflow()
    doc.reset(fresh, Path("x.interlock.yaml"))
    assert isinstance(changes[-2], DocumentReset) and changes[-1] == DirtyChanged(False)
    assert doc.workflow == fresh and doc.workflow is not fresh
    assert doc.path == Path("x.interlock.yaml") and not doc.dirty


def test_reset_can_take_over_a_freshly_loaded_workflow(doc: WorkflowDocument) -> None:
    fresh = _workflow()
    doc.reset(fresh, owned=True)  # the caller keeps no reference: no copy is made
    assert doc.workflow is fresh and not doc.dirty
    doc.rename_node("a", "mine")
    assert fresh.node("a").title == "mine"


def test_snapshot_is_independent(doc: WorkflowDocument) -> None:
    snap = doc.snapshot()
    doc.rename_node("a", "new")
    assert snap.node("a").title == ""


def test_unsubscribe(doc: WorkflowDocument) -> None:
    seen: list[Any] = []
    unsubscribe = doc.subscribe(seen.append)
    unsubscribe()
    unsubscribe()
    doc.rename_node("a", "t")
    assert seen == []


def test_annotations_add_update_remove_emit_and_save(
    doc: WorkflowDocument, changes: list[Any], tmp_path: Path
) -> None:
    from engine.workflow.annotations import Annotation
    from engine.workflow.document import AnnotationAdded, AnnotationChanged, AnnotationRemoved

    frame = doc.add_annotation(Annotation(kind="frame", id="frame", text="Prep", width=300))
    assert changes[-1] == AnnotationAdded(frame, 0) and doc.dirty
    doc.update_annotation("frame", x=10, y=20)
    moved = doc.annotation("frame")
    assert (moved.x, moved.y, moved.text) == (10, 20, "Prep")
    assert changes[-1] == AnnotationChanged(moved)
    count = len(changes)
    doc.update_annotation("frame", x=10)  # no-op
    assert len(changes) == count
    with pytest.raises(ValueError):
        doc.update_annotation("frame", width=-1)
    with pytest.raises(ValueError, match="already exists"):
        doc.add_annotation(Annotation(kind="note", id="frame"))
    doc.add_annotation(Annotation(kind="note", id="note", text="Check\nthis", color="#ffcc00"))
    assert doc.unique_id("note") == "note_2"  # ids are shared with nodes

    path = doc.save(tmp_path / "a.interlock.yaml")
    text = path.read_text(encoding="utf-8")
    assert text.index("edges:") < text.index("annotations:")
    again = WorkflowDocument.open(path)
    assert again.annotations == doc.annotations and again.workflow == doc.workflow

    removed, index = doc.remove_annotation("frame")
    assert index == 0 and changes[-1] == AnnotationRemoved(removed, 0)
    assert [a.id for a in doc.annotations] == ["note"]
    doc.reset(_workflow())
    assert doc.annotations == []


def test_lenient_load_keeps_what_validates(tmp_path: Path) -> None:
    from engine.workflow.lenient import load_lenient, loads_lenient

    text = """\
version: 1
metadata: {name: ""}
surprise: 1
nodes:
  - {id: a, kind: template, config: {template: hi}}
  - {id: a, kind: output}
  - {id: "9bad", kind: output, position: {x: 5, y: 6}, extra: 1}
  - {kind: teleport, config: [1, 2]}
edges:
  - {source: a.text, target: a_2.value}
  - {source: a.text, target: nowhere.value}
  - {source: a.text}
"""
    loaded = loads_lenient(text, "fallback")
    workflow = loaded.workflow
    assert workflow.metadata.name == "fallback"
    assert [n.id for n in workflow.nodes] == ["a", "a_2", "node_3", "node_4"]
    assert workflow.nodes[2].title == "9bad" and workflow.nodes[2].position.x == 5
    assert workflow.nodes[3].kind == "teleport" and workflow.nodes[3].config == {"value": [1, 2]}
    assert [str(e.target) for e in workflow.edges] == ["a_2.value"]
    messages = [p.message for p in loaded.problems]
    assert any("surprise" in m for m in messages)
    assert any("duplicate node id 'a'" in m for m in messages)
    assert any("no node 'nowhere'" in m for m in messages)
    assert sum("edges.2" in m for m in messages) == 1
    assert all(p.line > 1 for p in loaded.problems if p.path and p.path[0] == "nodes")
    WorkflowDocument(workflow)  # what it built is a consistent graph

    clean = tmp_path / "ok.interlock.yaml"
    WorkflowDocument(_workflow()).save(clean)
    assert load_lenient(clean).problems == []
    assert load_workflow(clean).workflow == load_lenient(clean).workflow
    broken = loads_lenient("nodes: [", "x")
    assert broken.workflow.nodes == [] and "syntax" in broken.problems[0].message
    missing = load_lenient(tmp_path / "nope.yaml")
    assert missing.workflow.metadata.name == "nope" and "cannot read" in missing.problems[0].message
