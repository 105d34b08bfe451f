"""A node's canvas look (`ui`, today `collapsed`) loads, saves and round-trips; the
default is not written and an unknown key is refused like anywhere else in the file."""

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
  name: ui
nodes:
  - id: a
    kind: template
    config: {template: hi}
    ui:
      collapsed: true  # shown as its header
  - id: b
    kind: output
edges:
  - {source: a.text, target: b.value}
"""


def test_collapsed_loads_and_dumps_and_the_default_is_left_out() -> None:
    workflow = loads_workflow(TEXT).workflow
    assert [n.ui.collapsed for n in workflow.nodes] == [True, False]
    dumped = dumps_workflow(workflow)
    assert dumped.count("ui:") == 1 and "collapsed: true" in dumped
    assert loads_workflow(dumped).workflow == workflow


def test_a_save_that_keeps_the_file_text_writes_the_change_only(tmp_path: Path) -> None:
    path = tmp_path / "ui.interlock.yaml"
    path.write_text(TEXT, encoding="utf-8")
    loaded = load_lenient(path)
    assert not loaded.problems
    document = WorkflowDocument()
    document.reset(loaded.workflow, path, loaded.annotations, owned=True, source=loaded.text)
    document.set_node_collapsed("a", False)
    document.set_node_collapsed("b", True)
    document.save()
    text = path.read_text(encoding="utf-8")
    workflow = loads_workflow(text).workflow
    assert [n.ui.collapsed for n in workflow.nodes] == [False, True]
    assert text.startswith("version: 1\nmetadata:\n  name: ui\n")


def test_an_unknown_ui_key_is_refused() -> None:
    with pytest.raises(WorkflowLoadError):
        loads_workflow(TEXT.replace("collapsed: true", "folded: true"))
