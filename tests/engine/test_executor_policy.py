"""`policy.executor` in workflow files: checked as strictly as the rest of the file, and
left out of a saved file when unstated."""

from __future__ import annotations

import pytest

from engine.errors import WorkflowLoadError
from engine.workflow.loader import dumps_workflow, loads_workflow

BASE = """\
version: 1
metadata: {name: p}
nodes:
  - {id: a, kind: input}
"""


def test_a_stated_executor_loads_and_saves_as_written() -> None:
    text = BASE + "policy:\n  executor: {kind: ray, address: 'head.example:6390'}\n"
    executor = loads_workflow(text).workflow.policy.executor
    assert executor is not None
    assert (executor.kind, executor.address) == ("ray", "head.example:6390")
    saved = dumps_workflow(loads_workflow(text).workflow)
    assert "executor:\n    kind: ray\n    address: head.example:6390\n" in saved
    unstated = loads_workflow(BASE).workflow
    assert unstated.policy.executor is None
    assert "executor" not in dumps_workflow(unstated)


@pytest.mark.parametrize(
    ("executor", "problem"),
    [
        ("{kind: dask}", "kind"),
        ("{address: 'h:1'}", "kind"),
        ("{kind: local, address: 'h:1'}", "address is only for kind: ray"),
        ("{kind: ray, address: 'no port'}", "address"),
        ("{kind: ray, workers: 2}", "workers"),
    ],
)
def test_a_wrong_executor_is_refused_with_its_place(executor: str, problem: str) -> None:
    with pytest.raises(WorkflowLoadError) as caught:
        loads_workflow(BASE + f"policy:\n  executor: {executor}\n")
    assert problem in str(caught.value)
    assert "executor" in str(caught.value)
