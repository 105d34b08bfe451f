"""Canvas annotations: titled frames that group nodes and sticky notes. Plain data kept in
the workflow file's optional top-level `annotations:` list; the engine ignores them."""

from __future__ import annotations

from typing import Literal

from engine.workflow.loader import dumps_workflow
from engine.workflow.model import Annotation, Workflow

__all__ = ["Annotation", "AnnotationKind", "dumps_document"]

AnnotationKind = Literal["frame", "note"]


def dumps_document(workflow: Workflow, annotations: list[Annotation]) -> str:
    """What a save writes for `workflow` carrying exactly these annotations."""
    return dumps_workflow(workflow.model_copy(update={"annotations": list(annotations)}))
