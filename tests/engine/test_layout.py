"""A workflow file written without positions gets them: a column per depth, in order."""

from __future__ import annotations

from pathlib import Path

from engine.workflow.layout import lay_out, needs_layout
from engine.workflow.loader import load_workflow

UNPLACED = """\
version: 1
metadata: {name: Unplaced}
inputs: [{name: x}]
nodes:
  - {id: x, kind: input}
  - {id: a, kind: template, config: {template: 'a {{ in }}'}}
  - {id: b, kind: template, config: {template: 'b {{ in }}'}}
  - {id: j, kind: join, config: {inputs: [l, r]}}
  - {id: out, kind: output}
edges:
  - {source: x.value, target: a.in}
  - {source: x.value, target: b.in}
  - {source: a.text, target: j.l}
  - {source: b.text, target: j.r}
  - {source: j.value, target: out.value}
"""


def test_unplaced_nodes_are_laid_out_by_depth(tmp_path: Path) -> None:
    path = tmp_path / "u.interlock.yaml"
    path.write_text(UNPLACED, encoding="utf-8")
    workflow = load_workflow(path).workflow
    assert needs_layout(workflow)
    lay_out(workflow)
    spots = {n.id: (n.position.x, n.position.y) for n in workflow.nodes}
    assert spots["x"][0] < spots["a"][0] == spots["b"][0] < spots["j"][0] < spots["out"][0]
    assert spots["a"][1] != spots["b"][1]
    assert len(set(spots.values())) == len(spots)
    assert not needs_layout(workflow)  # a placed workflow is left as it is
