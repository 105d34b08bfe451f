"""Opening what can be opened: a workflow file that fails the strict model still yields
every part that validates, placeholder nodes for the rest, and located problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.errors import Problem, WorkflowLoadError
from engine.workflow.annotations import Annotation
from engine.workflow.loader import Locations, Path_, parse_yaml, read_workflow_text
from engine.workflow.migrations import migrate
from engine.workflow.model import (
    ID_PATTERN,
    Edge,
    InputDecl,
    Metadata,
    Node,
    NodePolicy,
    PortRef,
    Position,
    Workflow,
    WorkflowPolicy,
)
from engine.workflow.plain_errors import plain_errors

_ID = re.compile(ID_PATTERN)
M = TypeVar("M", bound=BaseModel)
_TOP_LEVEL = ("version", "metadata", "inputs", "nodes", "edges", "policy", "annotations")


@dataclass
class LenientLoad:
    """The salvaged workflow, its annotations, and what was wrong (empty: a clean file)."""

    workflow: Workflow
    annotations: list[Annotation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    locations: Locations = field(default_factory=Locations)
    text: str | None = None
    """The file's text when it parsed (saving applies edits onto it); None otherwise."""


def load_lenient(path: str | Path) -> LenientLoad:
    """Never raises for a bad file: unreadable or unparsable gives an empty workflow."""
    path = Path(path)
    name = path.name.split(".")[0] or "Untitled"
    try:
        text = read_workflow_text(path)
    except WorkflowLoadError as exc:
        return _empty(name, *exc.problems)
    return loads_lenient(text, name)


def loads_lenient(text: str, name: str = "Untitled") -> LenientLoad:
    try:
        data, locations = parse_yaml(text)
    except WorkflowLoadError as exc:
        return _empty(name, *exc.problems)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return _empty(name, Problem("a workflow file must be a YAML mapping"))
    salvage = _Salvage(locations, name)
    try:
        data = migrate(data)
    except ValueError as exc:
        salvage.problem(("version",), str(exc))
        data = {k: v for k, v in data.items() if k != "version"}
    workflow, annotations = salvage.build(data)
    return LenientLoad(workflow, annotations, salvage.problems, locations, text)


def _empty(name: str, *problems: Problem) -> LenientLoad:
    return LenientLoad(Workflow(metadata=Metadata(name=name)), [], list(problems))


class _Salvage:
    def __init__(self, locations: Locations, name: str) -> None:
        self.locations = locations
        self.name = name
        self.problems: list[Problem] = []

    def problem(self, path: Path_, message: str) -> None:
        self.problems.append(self.locations.problem(path, message))

    def invalid(self, path: Path_, exc: ValidationError, what: str) -> None:
        for inner, message in plain_errors(exc):
            loc = (*path, *inner)
            where = ".".join(str(p) for p in loc)
            self.problem(loc, f"{where}: {message} ({what})")

    def build(self, data: dict[str, Any]) -> tuple[Workflow, list[Annotation]]:
        for key in data:
            if key not in _TOP_LEVEL:
                self.problem((key,), f"{key}: unknown top-level key (ignored; not saved)")
        annotations = self._list(data.get("annotations"), "annotations", Annotation, "dropped")
        metadata = self._one(data.get("metadata"), ("metadata",), Metadata)
        if metadata is None:
            raw = data.get("metadata")
            title = raw.get("name") if isinstance(raw, dict) else None
            metadata = Metadata(name=title if isinstance(title, str) and title else self.name)
        inputs = self._list(data.get("inputs"), "inputs", InputDecl, "dropped")
        policy = self._one(data.get("policy"), ("policy",), WorkflowPolicy) or WorkflowPolicy()
        nodes = self._nodes(data.get("nodes"))
        edges = self._edges(data.get("edges"), {n.id for n in nodes})
        workflow = Workflow(
            metadata=metadata, inputs=inputs, nodes=nodes, edges=edges, policy=policy
        )
        return workflow, annotations

    def _one(self, raw: Any, path: Path_, model: type[M]) -> M | None:
        if raw is None:
            return None
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            self.invalid(path, exc, "default used")
            return None

    def _items(self, raw: Any, key: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem((key,), f"{key}: expected a list (ignored)")
            return []
        return raw

    def _list(self, raw: Any, key: str, model: type[M], what: str) -> list[M]:
        out: list[M] = []
        for i, item in enumerate(self._items(raw, key)):
            try:
                out.append(model.model_validate(item))
            except ValidationError as exc:
                self.invalid((key, i), exc, what)
        return out

    def _nodes(self, raw: Any) -> list[Node]:
        nodes: list[Node] = []
        taken: set[str] = set()
        for i, item in enumerate(self._items(raw, "nodes")):
            try:
                node = Node.model_validate(item)
            except ValidationError as exc:
                self.invalid(("nodes", i), exc, "kept as a placeholder")
                node = self._placeholder(item, i)
            if node.id in taken:
                fresh = _fresh(node.id, taken)
                self.problem(("nodes", i, "id"), f"duplicate node id {node.id!r} (now {fresh!r})")
                node = node.model_copy(update={"id": fresh})
            taken.add(node.id)
            nodes.append(node)
        return nodes

    def _placeholder(self, raw: Any, index: int) -> Node:
        """A node keeping whatever of `raw` is usable, so a save loses as little as can be."""
        item = raw if isinstance(raw, dict) else {}
        raw_id = item.get("id")
        node_id = raw_id if isinstance(raw_id, str) and _ID.match(raw_id) else f"node_{index + 1}"
        kind = item.get("kind")
        title = item.get("title")
        config = item.get("config")
        if config is not None and not isinstance(config, dict):
            config = {"value": config}
        position = self._one(item.get("position"), ("nodes", index, "position"), Position)
        policy = self._one(item.get("policy"), ("nodes", index, "policy"), NodePolicy)
        if raw_id is not None and node_id != raw_id:
            title = title if isinstance(title, str) else str(raw_id)
        return Node(
            id=node_id,
            kind=kind[:64] if isinstance(kind, str) and kind else "unknown",
            title=title if isinstance(title, str) else "",
            position=position or Position(x=0, y=index * 120.0),
            config=config or {},
            policy=policy or NodePolicy(),
        )

    def _edges(self, raw: Any, known: set[str]) -> list[Edge]:
        edges: list[Edge] = []
        seen: set[tuple[str, str, str, str]] = set()
        for j, item in enumerate(self._items(raw, "edges")):
            try:
                edge = Edge.model_validate(item)
            except ValidationError as exc:
                self.invalid(("edges", j), exc, "dropped")
                continue
            missing = [r.node for r in (edge.source, edge.target) if r.node not in known]
            if missing:
                message = f"edge {edge.source} -> {edge.target}: no node {missing[0]!r}"
                self.problem(("edges", j), f"{message} (dropped)")
            elif (key := (*_ref(edge.source), *_ref(edge.target))) in seen:
                self.problem(("edges", j), f"edge {edge.source} -> {edge.target} repeated")
            else:
                seen.add(key)
                edges.append(edge)
        return edges


def _ref(ref: PortRef) -> tuple[str, str]:
    return (ref.node, ref.port)


def _fresh(node_id: str, taken: set[str]) -> str:
    n = 2
    while f"{node_id[:60]}_{n}" in taken:
        n += 1
    return f"{node_id[:60]}_{n}"
