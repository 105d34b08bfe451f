"""An answer's confidence from its tokens' log probabilities (`token_scores.TokenStep`):
free text by the geometric-mean token probability, schema-constrained JSON by the
probability of each field's value, ignoring what the grammar forced."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from local_models.token_scores import TokenStep

PieceOf = Callable[[int], bytes]
"""A token's text (bytes), for the alternatives a step recorded."""


def geometric_mean(logprobs: Iterable[float]) -> float | None:
    """exp(mean log probability): the geometric-mean token probability; None if empty."""
    values = list(logprobs)
    return math.exp(sum(values) / len(values)) if values else None


def text_confidence(steps: Sequence[TokenStep]) -> float | None:
    """Free text: the geometric-mean probability of every generated token."""
    return geometric_mean(s.logprob for s in steps)


def json_confidence(
    steps: Sequence[TokenStep],
    pieces: Sequence[bytes],
    schema: dict[str, Any],
    piece_of: PieceOf,
) -> float | None:
    """JSON output: the least confident field value (the minimum over leaf values).

    Keys, punctuation and whitespace count for nothing, nor does a token the grammar
    forced. An enum (or boolean) value scores as its label's probability among the allowed
    labels (`label_probability`); a one-label enum or a const not at all. Any other value
    scores as the geometric mean, over its unforced tokens, of `value_token_probability`
    (a string's opening quote is no decision: its content and closing quote are). All
    fields forced: 1.0. Output that does not parse: the geometric mean of its unforced
    tokens.
    """
    data = b"".join(pieces)
    leaves = json_leaves(data)
    if leaves is None:
        return geometric_mean(s.logprob for s in steps if not s.forced)
    offsets = list(_starts(pieces))
    fields: list[float] = []
    for leaf in leaves:
        literal = data[leaf.start : leaf.end]
        labels = _labels(schema_at(schema, leaf.path))
        lo = leaf.start + 1 if literal.startswith(b'"') else leaf.start
        if labels is not None and literal in labels:
            lo = leaf.start
        over = [
            (offsets[i], steps[i], pieces[i])
            for i in range(len(steps))
            if offsets[i] < leaf.end and offsets[i] + len(pieces[i]) > lo
        ]
        if labels is not None and literal in labels:
            if len(labels) > 1:
                fields.append(label_probability(literal, leaf.start, labels, over, piece_of))
            continue
        value = data[lo : leaf.end]
        logs = [
            math.log(value_token_probability(value, lo, offset, step, piece, piece_of))
            for offset, step, piece in over
            if not step.forced
        ]
        if logs:
            fields.append(math.exp(sum(logs) / len(logs)))
    return min(fields) if fields else 1.0


def value_token_probability(
    value: bytes, at: int, offset: int, step: TokenStep, piece: bytes, piece_of: PieceOf
) -> float:
    """The probability of the allowed tokens at `step` that spell what the chosen one did
    within `value` (bytes at offset `at`), renormalised without whitespace that would only
    move the value: a different split of the same text, or the same text fused with other
    punctuation (`"` or `"}`), costs nothing. Only the chosen token's probability is known
    when the grammar allowed many tokens."""
    if not step.alternatives:
        return math.exp(step.logprob)
    agreeing = counted = 0.0
    for token, logprob in step.alternatives:
        text = piece if token == step.token else piece_of(token)
        if offset <= at and _is_space(text):
            continue  # whitespace before the value moves it, decides nothing about it
        p = math.exp(logprob)
        counted += p
        if _agrees(value, at, text, offset):
            agreeing += p
    return agreeing / counted if agreeing > 0.0 else math.exp(step.logprob)


def label_probability(
    literal: bytes,
    start: int,
    labels: Sequence[bytes],
    over: Sequence[tuple[int, TokenStep, bytes]],
    piece_of: PieceOf,
) -> float:
    """The probability the model gave the chosen label (`literal`, at byte `start`) among the
    grammar's `labels`, from the steps (`over`: offset, step, piece) that spelt it.

    Only deciding steps count: those whose chosen token rules some still-open labels out,
    until one label is left. Each contributes the probability of the allowed tokens that
    keep the chosen label, renormalised over the allowed tokens that decide anything (a
    bare quote, or whitespace before the value, decides nothing), so spelling `"positive"`
    as `"` + `pos` + `itive` or in one token costs nothing. A token the model did not pick
    that keeps k labels open counts 1/k. Where the grammar allowed too many tokens to keep them all
    (`TokenStep.alternatives`), the chosen token's probability stands for the step.
    """
    prob = 1.0
    for offset, step, piece in over:
        known = literal[: max(0, offset - start)]
        alive = [label for label in labels if label.startswith(known)]
        if len(alive) <= 1:
            break
        kept = _consistent(alive, start, piece, offset)
        if len(kept) == len(alive):
            continue  # decided nothing
        if not step.alternatives:
            prob *= math.exp(step.logprob)
            continue
        agreeing = deciding = 0.0
        for token, logprob in step.alternatives:
            chosen = token == step.token
            keeps = kept if chosen else _consistent(alive, start, piece_of(token), offset)
            if len(keeps) == len(alive) or not keeps:  # none: whitespace moving the value
                continue
            p = math.exp(logprob)
            deciding += p
            if literal in keeps:
                agreeing += p if chosen else p / len(keeps)
        prob *= agreeing / deciding if deciding > 0.0 else math.exp(step.logprob)
    return prob


def _is_space(text: bytes) -> bool:
    return bool(text) and not text.strip(_SPACE)


def _consistent(labels: Sequence[bytes], start: int, text: bytes, offset: int) -> list[bytes]:
    return [label for label in labels if _agrees(label, start, text, offset)]


def _agrees(value: bytes, start: int, text: bytes, offset: int) -> bool:
    """Whether `text` placed at `offset` spells the same bytes as `value` placed at `start`
    where they overlap."""
    lo, hi = max(offset, start), min(offset + len(text), start + len(value))
    return text[lo - offset : hi - offset] == value[lo - start : hi - start]


def _starts(pieces: Sequence[bytes]) -> Iterable[int]:
    at = 0
    for piece in pieces:
        yield at
        at += len(piece)


def _labels(schema: dict[str, Any]) -> list[bytes] | None:
    """The literals a value may take, as the grammar spells them (`json.dumps`), if few."""
    if "const" in schema:
        values = [schema["const"]]
    elif isinstance(schema.get("enum"), list):
        values = schema["enum"]
    elif schema.get("type") == "boolean":
        values = [True, False]
    else:
        return None
    return list(dict.fromkeys(json.dumps(v).encode("utf-8") for v in values))


def schema_at(schema: dict[str, Any], path: Sequence[str | int]) -> dict[str, Any]:
    """The subschema for the value at `path` (local `$ref`s followed); {} if unknown."""
    node = _resolve(schema, schema)
    for part in path:
        if isinstance(part, str):
            props = node.get("properties", {})
            extra = node.get("additionalProperties", {})
            child = props.get(part, extra) if isinstance(props, dict) else extra
        else:
            child = node.get("items", {})
        node = _resolve(child if isinstance(child, dict) else {}, schema)
    return node


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    for _ in range(16):  # a reference cycle is not followed forever
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = root
        for key in ref[2:].split("/"):
            target = target.get(key, {}) if isinstance(target, dict) else {}
        node = target if isinstance(target, dict) else {}
    return node


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar value in a JSON text: where it sits in the document and in the bytes."""

    path: tuple[str | int, ...]
    start: int
    end: int
    """Byte span of the literal, quotes of a string included."""


_SCALAR = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")
_SPACE = b" \t\r\n"


def json_leaves(data: bytes) -> list[Leaf] | None:
    """The scalar values of the first JSON object or array in `data` (or of `data` itself)
    with their byte spans; None when it does not parse."""
    starts = [i for i in (data.find(b"{"), data.find(b"[")) if i >= 0]
    scanner = _Scanner(data, min(starts) if starts else 0)
    try:
        scanner.value(())
    except (IndexError, ValueError):
        return None
    return scanner.leaves


class _Scanner:
    """A JSON reader that records spans instead of building values."""

    def __init__(self, data: bytes, at: int) -> None:
        self.data, self.i = data, at
        self.leaves: list[Leaf] = []

    def value(self, path: tuple[str | int, ...]) -> None:
        self._space()
        head = self.data[self.i : self.i + 1]
        if head == b"{":
            self._container(path, b"}", keyed=True)
        elif head == b"[":
            self._container(path, b"]", keyed=False)
        elif head == b'"':
            start = self.i
            self._string()
            self.leaves.append(Leaf(path, start, self.i))
        else:
            match = _SCALAR.match(self.data, self.i)
            if match is None:
                raise ValueError(f"no JSON value at byte {self.i}")
            self.leaves.append(Leaf(path, match.start(), match.end()))
            self.i = match.end()

    def _container(self, path: tuple[str | int, ...], close: bytes, *, keyed: bool) -> None:
        self.i += 1
        self._space()
        if self.data[self.i : self.i + 1] == close:
            self.i += 1
            return
        index = 0
        while True:
            self._space()
            key: str | int = index
            if keyed:
                start = self.i
                self._string()
                key = json.loads(self.data[start : self.i])
                self._space()
                self._expect(b":")
            self.value((*path, key))
            index += 1
            self._space()
            if self.data[self.i : self.i + 1] == close:
                self.i += 1
                return
            self._expect(b",")

    def _string(self) -> None:
        self._expect(b'"')
        data = self.data
        while True:
            byte = data[self.i]  # IndexError at the end: unterminated
            self.i += 2 if byte == 0x5C else 1  # a backslash escapes the next byte
            if byte == 0x22:
                return

    def _expect(self, token: bytes) -> None:
        if self.data[self.i : self.i + 1] != token:
            raise ValueError(f"expected {token!r} at byte {self.i}")
        self.i += 1

    def _space(self) -> None:
        while self.i < len(self.data) and self.data[self.i] in _SPACE:
            self.i += 1
