"""Reading and writing `*.interlock.yaml` files without ever executing code.

YAML is composed with the safe loader into a node tree, converted to plain data under
size and nesting caps while remembering each value's line and column, migrated to the
current version, then validated by the strict pydantic model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.errors import Problem, WorkflowLoadError
from engine.readfile import UnreadableFile, read_regular_file
from engine.workflow.migrations import migrate
from engine.workflow.model import Workflow
from engine.workflow.sections import located_messages

MAX_FILE_BYTES = 2 * 1024 * 1024
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same marks
MAX_DEPTH = 64
MAX_VALUES = 200_000

Path_ = tuple[str | int, ...]

_ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
)
"""Plain data only: anything else (python/*, binary, set, custom tags) is refused."""
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass
class Locations:
    """Maps a data path (keys and list indexes) to the YAML line/column it came from."""

    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def find(self, path: Path_) -> tuple[int, int]:
        for end in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:end]))
            if mark is not None:
                return mark
        return (1, 1)

    def problem(self, path: Path_, message: str) -> Problem:
        line, col = self.find(path)
        return Problem(message, line, col, path)


@dataclass
class LoadedWorkflow:
    workflow: Workflow
    locations: Locations
    source: str
    path: Path | None = None


def parse_yaml(text: str) -> tuple[Any, Locations]:
    """Safely turn YAML text into plain data plus a location map. Raises WorkflowLoadError."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise WorkflowLoadError([Problem(f"file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise WorkflowLoadError([Problem(f"YAML syntax error: {exc.problem}", line, col)]) from None
    except yaml.reader.ReaderError as exc:
        pos = exc.position
        line, col = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        problem = Problem(f"YAML error: character {exc.character!r} is not allowed", line, col)
        raise WorkflowLoadError([problem]) from None
    except yaml.YAMLError as exc:
        raise WorkflowLoadError([Problem(f"YAML error: {exc}")]) from None
    locations = Locations()
    if root is None:
        return None, locations
    converter = _Converter(locations)
    return converter.convert(root, (), 0), locations


class _Converter:
    def __init__(self, locations: Locations) -> None:
        self.locations = locations
        self.count = 0
        self.scalars = yaml.SafeLoader("")

    def convert(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        mark = (node.start_mark.line + 1, node.start_mark.column + 1)
        if depth > MAX_DEPTH:
            raise WorkflowLoadError([Problem(f"nesting deeper than {MAX_DEPTH} levels", *mark)])
        if self.count > MAX_VALUES:
            raise WorkflowLoadError([Problem(f"more than {MAX_VALUES} values", *mark)])
        self.locations.marks.setdefault(path, mark)
        if node.tag not in _ALLOWED_TAGS:
            raise WorkflowLoadError([Problem(f"unsupported YAML tag {node.tag}", *mark)])
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise WorkflowLoadError(
                        [Problem("mapping keys must be plain scalars", *self._mark(key_node))]
                    )
                key = self._scalar(key_node)
                if not isinstance(key, str | int | float | bool) or key_node.tag.endswith("merge"):
                    raise WorkflowLoadError(
                        [Problem("mapping keys must be plain scalars", *self._mark(key_node))]
                    )
                skey = str(key)
                if skey in out:
                    raise WorkflowLoadError(
                        [Problem(f"duplicate key {skey!r}", *self._mark(key_node))]
                    )
                self.locations.marks.setdefault((*path, skey), self._mark(key_node))
                out[skey] = self.convert(value_node, (*path, skey), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(v, (*path, i), depth + 1) for i, v in enumerate(node.value)]
        return self._scalar(node)

    @staticmethod
    def _mark(node: yaml.Node) -> tuple[int, int]:
        return (node.start_mark.line + 1, node.start_mark.column + 1)

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise WorkflowLoadError([Problem("expected a scalar", *self._mark(node))])
        if node.tag not in _ALLOWED_TAGS:
            raise WorkflowLoadError(
                [Problem(f"unsupported YAML tag {node.tag}", *self._mark(node))]
            )
        if node.tag == _STR_TAG:  # the common case: no constructor machinery needed
            return node.value
        try:
            value = self.scalars.construct_object(node)
        except yaml.YAMLError as exc:
            raise WorkflowLoadError([Problem(f"bad value: {exc}", *self._mark(node))]) from None
        if isinstance(value, str | int | float | bool) or value is None:
            return value
        return str(value)  # timestamps, binary: keep the text, never a Python object


def workflow_from_data(data: Any, locations: Locations) -> Workflow:
    """Migrate and validate plain data; errors become located Problems."""
    if not isinstance(data, dict):
        raise WorkflowLoadError([Problem("a workflow file must be a YAML mapping")])
    try:
        data = migrate(data)
    except ValueError as exc:
        raise WorkflowLoadError([locations.problem(("version",), str(exc))]) from None
    try:
        return Workflow.model_validate(data)
    except ValidationError as exc:
        problems = [locations.problem(loc, m) for loc, m in located_messages(exc)]
        raise WorkflowLoadError(problems) from None


def loads_workflow(text: str, path: Path | None = None) -> LoadedWorkflow:
    data, locations = parse_yaml(text)
    return LoadedWorkflow(workflow_from_data(data, locations), locations, text, path)


def load_workflow(path: str | Path) -> LoadedWorkflow:
    """Load a workflow file. Raises WorkflowLoadError (with located problems)."""
    path = Path(path)
    return loads_workflow(read_workflow_text(path), path)


def read_workflow_text(path: Path) -> str:
    """The text of a workflow file: a regular file of at most MAX_FILE_BYTES (a FIFO or a
    device is refused at once, never read). Raises WorkflowLoadError."""
    try:
        return read_regular_file(path, MAX_FILE_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkflowLoadError([Problem(f"file is not UTF-8 text: {exc.reason}")]) from None
    except UnreadableFile as exc:
        message = str(exc).replace(str(path), "file", 1)  # the CLI puts the path in front
        raise WorkflowLoadError([Problem(message)]) from None
    except OSError as exc:
        raise WorkflowLoadError([Problem(f"cannot read file: {exc.strerror or exc}")]) from None


def _sorted_free_form(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_free_form(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_free_form(v) for v in value]
    return value


def workflow_to_data(workflow: Workflow) -> dict[str, Any]:
    """Plain data in a deterministic order: model fields in declaration order, free-form
    mappings (config, scopes) sorted by key; defaults left out to keep files short."""
    data = workflow.model_dump(mode="json", exclude_defaults=True)
    data["version"] = workflow.version
    data["metadata"] = workflow.metadata.model_dump(mode="json", exclude_defaults=True)
    for node in data.get("nodes", []):
        if "config" in node:
            node["config"] = _sorted_free_form(node["config"])
    for edge in data.get("edges", []):
        edge["source"] = f"{edge['source']['node']}.{edge['source']['port']}"
        edge["target"] = f"{edge['target']['node']}.{edge['target']['port']}"
    order = ["version", "metadata", "inputs", "nodes", "edges", "annotations", "policy"]
    return {k: data[k] for k in order if k in data}


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: same output


def dumps_workflow(workflow: Workflow) -> str:
    return yaml.dump(
        workflow_to_data(workflow), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


def save_workflow(workflow: Workflow, path: str | Path) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    write_text_atomically(dumps_workflow(workflow), Path(path))


def write_text_atomically(text: str, path: Path) -> None:
    """Write `text` to a temp file beside `path`, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def workflow_hash(workflow: Workflow) -> str:
    """Content address of a workflow version: canonical JSON of what a save writes, so
    spelling out a default does not make a new version."""
    canonical = json.dumps(workflow_to_data(workflow), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
