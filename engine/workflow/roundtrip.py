"""Saving onto the text a workflow was loaded from: the model's current state is applied to
a round-trip YAML tree of that text (changed keys updated, removed items removed, new ones
inserted), so the comments, key order, quoting and flow style of untouched parts survive."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString, ScalarString

from engine.errors import WorkflowLoadError
from engine.workflow.loader import dumps_workflow, loads_workflow, parse_yaml, workflow_to_data
from engine.workflow.model import Annotation, Edge, InputDecl, Metadata, Node, Workflow

log = logging.getLogger(__name__)

MAX_ROUNDTRIP_CHARS = 64 * 1024
"""Larger files are saved with the plain dump: the pure-Python round-trip library would
hold each save for seconds."""

Same = Callable[[Any], bool]
_Removed = tuple[CommentedMap, Any, Any, int, Any]


def dumps_roundtrip(workflow: Workflow, source: str | None) -> str:
    """The text saving `workflow` writes: `source` (the text it was loaded from or last
    saved as) with the workflow's current state applied, or the plain dump when there is
    no source or applying it would not read back as `workflow`."""
    if not source:
        return dumps_workflow(workflow)
    return RoundTrip(source).dumps(workflow)[0]


class RoundTrip:
    """A document's source text and, once parsed, its round-trip tree. Parsing is the slow
    part (pure Python), so it can be done ahead, on any thread (`prepare`); a save applies
    the model onto the tree and hands the tree on with the text it wrote."""

    def __init__(self, text: str, parsed: tuple[YAML, CommentedMap] | None = None) -> None:
        self.text = text
        self._parsed = parsed
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Parse the text now, so the next `dumps` only applies and writes."""
        with self._lock:
            if self._parsed is None:
                self._parsed = _parse(self.text)

    def dumps(self, workflow: Workflow) -> tuple[str, RoundTrip]:
        """The text saving `workflow` writes, and the RoundTrip of that text (its tree
        already parsed when the layout was kept). Uses up this one's tree."""
        with self._lock:
            parsed, self._parsed = self._parsed, None
        if parsed is None:
            parsed = _parse(self.text)
        plain = dumps_workflow(workflow)
        if parsed is None:
            return plain, RoundTrip(plain)
        yaml, tree = parsed
        try:
            _apply(tree, workflow)
            text = _dump(yaml, tree)
            again = loads_workflow(text).workflow
        except (WorkflowLoadError, YAMLError, ValueError, TypeError, KeyError) as exc:
            log.info("saving without the file's layout: %s", exc)
            return plain, RoundTrip(plain)
        if workflow_to_data(again) != workflow_to_data(workflow):
            log.info("saving without the file's layout: it would not read back the same")
            return plain, RoundTrip(plain)
        return text, RoundTrip(text, (yaml, tree))


def _parse(source: str) -> tuple[YAML, CommentedMap] | None:
    """The round-trip tree of `source`, or None when it is kept plainly: empty, too
    large, refused by the safe loader (only plain data reaches ruamel), not a mapping."""
    if not source.strip() or len(source) > MAX_ROUNDTRIP_CHARS:
        return None
    try:
        parse_yaml(source)
        yaml, tree = _load(source)
    except (WorkflowLoadError, YAMLError, ValueError, TypeError) as exc:
        log.info("saving without the file's layout: %s", exc)
        return None
    return (yaml, tree) if isinstance(tree, CommentedMap) else None


# -- reading and writing the round-trip tree ---------------------------------------------


def _yaml(map_indent: int, seq_indent: int, offset: int, width: int) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = width
    yaml.indent(mapping=map_indent, sequence=seq_indent, offset=offset)
    return yaml


def _dump(yaml: YAML, tree: Any) -> str:
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _load(source: str) -> tuple[YAML, Any]:
    """The round-trip tree of `source` (parsed once) and the emitter settings (indents,
    line width) that write it back most faithfully: the first that reproduces it exactly,
    else the one that changes fewest lines."""
    map_indent, seq_indent, offset = _guess_indents(source)
    candidates = [(map_indent, seq_indent, offset, 100), (map_indent, seq_indent, offset, 4096)]
    candidates += [(2, 2, 0, 100), (2, 4, 2, 100)]
    tree = _yaml(*candidates[0]).load(source)
    lines = source.splitlines()
    best: tuple[int, YAML] | None = None
    for settings in dict.fromkeys(candidates):
        yaml = _yaml(*settings)
        written = _dump(yaml, tree)
        if written == source:
            return yaml, tree
        changed = len(set(lines).symmetric_difference(written.splitlines()))
        if best is None or changed < best[0]:
            best = (changed, yaml)
    assert best is not None
    return best[1], tree


def _guess_indents(source: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the source's first nested mapping
    and first block sequence use them; (2, 2, 0) when it has none."""
    map_indent: int | None = None
    seq: tuple[int, int] | None = None
    parent: int | None = None  # indent of a preceding `key:` line
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        lead = len(line) - len(line.lstrip(" "))
        if parent is not None and stripped.startswith("- ") and lead >= parent:
            if seq is None:
                rest = stripped[2:]
                seq = (lead - parent, 2 + len(rest) - len(rest.lstrip(" ")))
        elif parent is not None and lead > parent and map_indent is None:
            map_indent = lead - parent
        parent = lead if stripped.endswith(":") and not stripped.startswith("- ") else None
        if map_indent is not None and seq is not None:
            break
    offset, dash_width = seq if seq is not None else (0, 2)
    return map_indent or 2, offset + dash_width, offset


# -- applying the model --------------------------------------------------------------------


def _validates_to(adapter: TypeAdapter[Any], target: Any) -> Same:
    def same(plain: Any) -> bool:
        try:
            return bool(adapter.validate_python(plain) == target)
        except (ValidationError, ValueError, TypeError):
            return False

    return same


def _model_same(model: type[BaseModel], target: BaseModel) -> Same:
    def same(plain: Any) -> bool:
        try:
            return model.model_validate(plain) == target
        except (ValidationError, ValueError, TypeError):
            return False

    return same


_INPUTS = TypeAdapter(list[InputDecl])
_NODES = TypeAdapter(list[Node])
_EDGES = TypeAdapter(list[Edge])
_ANNOTATIONS = TypeAdapter(list[Annotation])


def _apply(tree: CommentedMap, workflow: Workflow) -> None:
    data = workflow_to_data(workflow)
    sections: dict[str, Same] = {
        "version": lambda plain: bool(plain == workflow.version),
        "metadata": _model_same(Metadata, workflow.metadata),
        "inputs": _validates_to(_INPUTS, workflow.inputs),
        "nodes": _validates_to(_NODES, workflow.nodes),
        "edges": _validates_to(_EDGES, workflow.edges),
        "annotations": _validates_to(_ANNOTATIONS, workflow.annotations),
        "policy": _model_same(type(workflow.policy), workflow.policy),
    }
    for key in list(tree):
        if key not in data and not (key in sections and sections[key](_plain(tree[key]))):
            del tree[key]  # an unknown key (the loader ignores it) or a section now empty
    keyed: dict[str, tuple[Callable[[Any], Any], list[tuple[Any, Any, Same]]]] = {
        "inputs": (
            _key_of("name"),
            [
                (d.name, data_, _model_same(InputDecl, d))
                for d, data_ in _pairs(workflow.inputs, data, "inputs")
            ],
        ),
        "nodes": (
            _key_of("id"),
            [
                (n.id, data_, _model_same(Node, n))
                for n, data_ in _pairs(workflow.nodes, data, "nodes")
            ],
        ),
        "edges": (
            _edge_key,
            [
                ((str(e.source), str(e.target)), data_, _model_same(Edge, e))
                for e, data_ in _pairs(workflow.edges, data, "edges")
            ],
        ),
        "annotations": (
            _key_of("id"),
            [
                (a.id, data_, _model_same(Annotation, a))
                for a, data_ in _pairs(workflow.annotations, data, "annotations")
            ],
        ),
    }
    for key, value in data.items():
        if key not in tree:
            _insert(tree, data, key, _fresh(value))
        elif sections[key](_plain(tree[key])):
            continue
        elif key in keyed and isinstance(tree[key], CommentedSeq):
            key_of, items = keyed[key]
            _merge_keyed(tree[key], items, key_of)
        elif key in keyed:
            tree[key] = _fresh(value)
        else:
            tree[key] = _merge_item(tree[key], value, sections[key])


def _pairs(models: list[Any], data: dict[str, Any], key: str) -> list[tuple[Any, Any]]:
    return list(zip(models, data.get(key, []), strict=True))


def _key_of(field: str) -> Callable[[Any], Any]:
    def key(plain: Any) -> Any:
        value = plain.get(field) if isinstance(plain, dict) else None
        return value if isinstance(value, str) else None

    return key


def _edge_key(plain: Any) -> Any:
    try:
        edge = Edge.model_validate(plain)
    except (ValidationError, ValueError, TypeError):
        return None
    return (str(edge.source), str(edge.target))


def _merge_keyed(
    seq: CommentedSeq, items: list[tuple[Any, Any, Same]], key_of: Callable[[Any], Any]
) -> None:
    """Make `seq` hold `items` (key, new data, check) in order: items whose key is gone are
    deleted, new ones inserted where they belong, kept ones merged in place."""
    wanted = [key for key, _, _ in items]
    wanted_set = set(wanted)
    keys: list[Any] = []
    for i in reversed(range(len(seq))):
        key = key_of(_plain(seq[i]))
        if key is None or key not in wanted_set or key in keys:
            del seq[i]
        else:
            keys.insert(0, key)
    kept = [k for k in wanted if k in set(keys)]
    if kept != keys:  # reordered: rebuild (the moved items keep their own comments)
        by_key = dict(zip(keys, list(seq), strict=True))
        del seq[:]
        seq.extend(by_key[k] for k in kept)
    for index, (key, data, same) in enumerate(items):
        if index < len(seq) and key_of(_plain(seq[index])) == key:
            if not same(_plain(seq[index])):
                seq[index] = _merge_item(seq[index], data, same)
        else:
            seq.insert(index, _fresh(data))


def _merge_item(old: Any, new: Any, same: Same) -> Any:
    """`new` (plain data) applied onto `old`; a key the new data leaves out (a default) is
    kept when keeping it still reads as the model, so an explicit `retries: 0` stays."""
    if same(_plain(old)):
        return old
    if not isinstance(old, CommentedMap) or not isinstance(new, dict):
        return _scalar_like(old, new)
    removed: list[_Removed] = []
    _merge_map(old, new, removed)
    for parent, key, value, index, comment in reversed(removed):  # lowest index first
        parent.insert(min(index, len(parent)), key, value)
        if comment is not None:
            parent.ca.items[key] = comment
        if not same(_plain(old)):
            del parent[key]
    return old


def _merge_map(old: CommentedMap, new: dict[str, Any], removed: list[_Removed]) -> None:
    for index, key in reversed(list(enumerate(old))):
        if key not in new:
            removed.append((old, key, old[key], index, old.ca.items.get(key)))
            del old[key]
    for key, value in new.items():
        if key not in old:
            _insert(old, new, key, _fresh(value))
        elif _plain(old[key]) == value:
            continue
        elif isinstance(old[key], CommentedMap) and isinstance(value, dict):
            _merge_map(old[key], value, removed)
        elif isinstance(old[key], CommentedSeq) and isinstance(value, list):
            _merge_list(old[key], value)
        else:
            old[key] = _scalar_like(old[key], value)


def _merge_list(old: CommentedSeq, new: list[Any]) -> None:
    """A free-form list: items compared by position, the tail trimmed or extended."""
    del old[len(new) :]
    for index, value in enumerate(new):
        if index >= len(old):
            old.append(_fresh(value))
        elif _plain(old[index]) != value:
            if isinstance(old[index], CommentedMap) and isinstance(value, dict):
                _merge_map(old[index], value, [])
            else:
                old[index] = _scalar_like(old[index], value)


def _insert(target: CommentedMap, order: dict[str, Any], key: str, value: Any) -> None:
    """Insert `key` after the nearest key before it in `order` that `target` has."""
    names = list(order)
    position = 0
    for earlier in reversed(names[: names.index(key)]):
        if earlier in target:
            position = list(target).index(earlier) + 1
            break
    target.insert(position, key, value)


def _scalar_like(old: Any, new: Any) -> Any:
    """`new` written in `old`'s style where it is a styled string (quoted, literal block)."""
    if isinstance(new, str) and isinstance(old, ScalarString):
        return type(old)(new)
    if isinstance(new, float) and new.is_integer() and type(_plain(old)) is int:
        return int(new)  # a position the file wrote as 300 stays an integer
    return _fresh(new)


def _fresh(value: Any) -> Any:
    """Plain data as round-trip nodes: multi-line text as a literal block."""
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _fresh(v)
        return out
    if isinstance(value, list):
        return CommentedSeq(_fresh(v) for v in value)
    if isinstance(value, str) and "\n" in value.rstrip("\n") and _literal_safe(value):
        return LiteralScalarString(value)
    return value


def _literal_safe(text: str) -> bool:
    return not any(line != line.rstrip() for line in text.split("\n")) and "\t" not in text


def _plain(value: Any) -> Any:
    """A round-trip node as the plain data the safe loader would give."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value if value is None else bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)
