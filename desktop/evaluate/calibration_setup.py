"""What a routing calibration measures on and what it writes: the source (an eval file, or
a saved workflow and a dataset), the llm nodes it can tune with each one's own ladder, and
the calibrated config of a node; plus the open workflow it is applied to."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtGui import QUndoStack

from desktop.evaluate.controller import EvalController
from engine.errors import InterlockError
from engine.evaluation.spec import LoadedEval
from engine.evaluation.variants import llm_target
from engine.store.evaluation_records import DatasetInfo
from engine.workflow.document import WorkflowDocument
from engine.workflow.model import Workflow

if TYPE_CHECKING:
    from engine.evaluation.calibrate import Calibration


class WorkflowEditor(Protocol):
    """The open workflow a calibrated route is applied to: its document, the undo stack
    every edit goes through, and opening another workflow file (the main window)."""

    document: WorkflowDocument
    undo_stack: QUndoStack

    def open_path(self, path: str | Path, *, ask: bool = True) -> bool: ...


@dataclass(frozen=True)
class CalibrationSource:
    """What a calibration measures on: an eval file (its workflow, dataset and scorers), or
    a saved workflow and a dataset (a file, or `NAME@HASH` in the store) scored by exact
    match on the workflow's one output."""

    loaded: LoadedEval | None = None
    workflow: Path | None = None
    dataset: str | None = None

    def describe(self) -> str:
        if self.loaded is not None:
            name = self.loaded.path.name if self.loaded.path else self.loaded.spec.name
            return f"{name} ({self.loaded.spec.workflow} on {self.loaded.spec.dataset})"
        assert self.workflow is not None
        return f"{self.workflow.name} on {self.dataset}"

    def resolve(self) -> LoadedEval:
        if self.loaded is not None:
            return self.loaded
        from engine.evaluation.calibrate import eval_for

        assert self.workflow is not None and self.dataset is not None
        return eval_for(self.workflow, self.dataset, None)


def source_for(
    loaded: LoadedEval | None, workflow: Path | None, dataset: DatasetInfo | None
) -> CalibrationSource | None:
    """The chosen eval file, else the saved workflow on a stored dataset; None without
    either."""
    if loaded is not None:
        return CalibrationSource(loaded)
    if workflow is None or dataset is None:
        return None
    return CalibrationSource(None, workflow, f"{dataset.name}@{dataset.hash[:12]}")


@dataclass
class CalibrationSetup:
    """The source read: the workflow it runs and the nodes a calibration can tune, with
    each node's own ladder (or why it has none)."""

    loaded: LoadedEval
    workflow_path: Path
    workflow: Workflow
    nodes: list[str]
    ladders: dict[str, list[str] | str] = field(default_factory=dict)


def llm_nodes(workflow: Workflow) -> list[str]:
    """Nodes whose route a calibration can tune: llm nodes, and maps of an llm template."""
    return [n.id for n in workflow.nodes if llm_target(copy.deepcopy(n.config), n.kind) is not None]


def calibrated_config(workflow: Workflow, result: Calibration) -> dict[str, Any]:
    """The calibrated node's whole config with the chosen route, as `workflow` holds it."""
    from engine.evaluation.calibrate import apply_calibration

    changed = apply_calibration(workflow, result)
    return dict(next(n for n in changed.nodes if n.id == result.node_id).config)


def route_of(config: dict[str, Any], kind: str) -> dict[str, Any] | None:
    target = llm_target(copy.deepcopy(config), kind)
    route = target.get("route") if target is not None else None
    return route if isinstance(route, dict) else None


def same_file(a: Path | None, b: Path | None) -> bool:
    return a is not None and b is not None and a.resolve() == b.resolve()


async def read_setup(controller: EvalController, source: CalibrationSource) -> CalibrationSetup:
    """Resolve the source, load its workflow and each llm node's own ladder (in a thread)."""
    evaluator = await controller.evaluator()

    def read() -> CalibrationSetup:
        from engine.evaluation.calibrate import default_ladder
        from engine.workflow.loader import load_workflow

        loaded = source.resolve()
        path = loaded.resolve(loaded.spec.workflow)
        workflow = load_workflow(path).workflow
        setup = CalibrationSetup(loaded, path, workflow, llm_nodes(workflow))
        for node_id in setup.nodes:
            try:
                setup.ladders[node_id] = default_ladder(evaluator, workflow, node_id)
            except InterlockError as exc:
                setup.ladders[node_id] = str(exc)
        return setup

    return await asyncio.to_thread(read)
