"""Canvas annotations: titled frames that group nodes and sticky notes. Plain data kept in
the workflow file's optional top-level `annotations:` list; the engine ignores them."""

from __future__ import annotations

from typing import Any, Literal

import yaml

from engine.workflow.loader import workflow_to_data
from engine.workflow.model import Annotation, Workflow

__all__ = ["Annotation", "AnnotationKind", "annotations_of", "document_data", "dumps_document"]

AnnotationKind = Literal["frame", "note"]


def annotations_of(workflow: Workflow) -> list[Annotation] | None:
    """The workflow's own `annotations` list once the model has the field, else None."""
    value = getattr(workflow, "annotations", None)
    return value if isinstance(value, list) else None


def document_data(workflow: Workflow, annotations: list[Annotation]) -> dict[str, Any]:
    """What a save writes: the workflow's data plus `annotations` after the edges."""
    data = workflow_to_data(workflow)
    data.pop("annotations", None)
    if not annotations:
        return data
    notes = [a.model_dump(mode="json", exclude_defaults=True) for a in annotations]
    ordered: dict[str, Any] = {}
    for key, value in data.items():
        if key == "policy":
            ordered["annotations"] = notes
        ordered[key] = value
    ordered.setdefault("annotations", notes)
    return ordered


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dumps_document(workflow: Workflow, annotations: list[Annotation]) -> str:
    return yaml.dump(
        document_data(workflow, annotations),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
