"""An edge's reroute points (`ui.via`) load, save and round-trip; none are not written,
an unknown key is refused, and runs see the same edge either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import WorkflowLoadError
from engine.workflow.document import WorkflowDocument
from engine.workflow.lenient import load_lenient
from engine.workflow.loader import dumps_workflow, loads_workflow

TEXT = """\
version: 1
metadata:
  name: via
nodes:
  - id: a
    kind: template
    config: {template: hi}
  - id: b
    kind: output
  - id: c
    kind: output
edges:
  - source: a.text
    target: b.value
    ui:
      via: [{x: 100, y: 50}, {x: 150.5, y: -20}]  # around the frame
  - {source: a.text, target: c.value}
"""


def test_via_loads_and_dumps_and_none_is_left_out() -> None:
    workflow = loads_workflow(TEXT).workflow
    assert [(p.x, p.y) for p in workflow.edges[0].ui.via] == [(100, 50), (150.5, -20)]
    assert workflow.edges[1].ui.via == []
    dumped = dumps_workflow(workflow)
    assert dumped.count("ui:") == 1 and "via:" in dumped
    assert loads_workflow(dumped).workflow == workflow


def test_a_save_that_keeps_the_file_text_keeps_the_points(tmp_path: Path) -> None:
    path = tmp_path / "via.interlock.yaml"
    path.write_text(TEXT, encoding="utf-8")
    loaded = load_lenient(path)
    assert not loaded.problems
    document = WorkflowDocument()
    document.reset(loaded.workflow, path, loaded.annotations, owned=True, source=loaded.text)
    second = document.edges[1]
    document.set_edge_via(second, [(10.0, 20.0)])
    document.save()
    text = path.read_text(encoding="utf-8")
    assert "# around the frame" in text
    edges = loads_workflow(text).workflow.edges
    assert [(p.x, p.y) for p in edges[0].ui.via] == [(100, 50), (150.5, -20)]
    assert [(p.x, p.y) for p in edges[1].ui.via] == [(10, 20)]
    document.set_edge_via(document.edges[0], [])
    document.save()
    edges = loads_workflow(path.read_text(encoding="utf-8")).workflow.edges
    assert edges[0].ui.via == [] and len(edges) == 2


def test_set_edge_via_keeps_the_edge_at_its_place_and_remove_finds_it_by_its_ends() -> None:
    document = WorkflowDocument()
    document.reset(loads_workflow(TEXT).workflow, None, [], owned=True)
    plain = document.edges[0].model_copy(update={"ui": document.edges[1].ui})
    document.set_edge_via(plain, [(1.0, 2.0)])
    assert str(document.edges[0].target) == "b.value"
    assert [(p.x, p.y) for p in document.edges[0].ui.via] == [(1, 2)]
    assert document.remove_edge(plain) == 0
    with pytest.raises(ValueError):
        document.add_edge(document.edges[0])


@pytest.mark.parametrize(
    "bad", ["via: [{x: 1, y: 2, z: 3}]", "via: [{x: left, y: 2}]", "bends: []"]
)
def test_a_bad_ui_is_refused(bad: str) -> None:
    with pytest.raises(WorkflowLoadError):
        loads_workflow(TEXT.replace("via: [{x: 100, y: 50}, {x: 150.5, y: -20}]", bad))
