"""Structured (JSON) output: grammars from JSON Schemas, extraction and validation.

Validation uses `jsonschema` when it is installed, else a small built-in validator that
covers the keywords model-output schemas use (type, properties, required, enum, items, ...).
"""

from __future__ import annotations

import importlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_grammar_lock = threading.Lock()
_grammars: dict[str, Any] = {}


def grammar_for_schema(schema: dict[str, Any]) -> Any:
    """A `llama_cpp.LlamaGrammar` constraining output to `schema` (cached per schema)."""
    key = json.dumps(schema, sort_keys=True)
    with _grammar_lock:
        grammar = _grammars.get(key)
    if grammar is None:
        from llama_cpp.llama_grammar import LlamaGrammar

        grammar = LlamaGrammar.from_json_schema(key, verbose=False)
        with _grammar_lock:
            _grammars[key] = grammar
    return grammar


@dataclass(frozen=True, slots=True)
class JsonCheck:
    """The outcome of parsing and validating model output against a schema."""

    valid: bool
    value: Any = None
    error: str | None = None


def check_json(text: str, schema: dict[str, Any]) -> JsonCheck:
    """Parse the first JSON value in `text` (code fences and prose around it are tolerated)
    and validate it against `schema`."""
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    try:
        value, _ = json.JSONDecoder().raw_decode(body, min(starts) if starts else 0)
    except ValueError as exc:
        return JsonCheck(False, None, f"not valid JSON: {exc}")
    error = validate(value, schema)
    return JsonCheck(error is None, value, error)


def schema_outline(schema: Any) -> str:
    """A compact example of the JSON `schema` describes, e.g. `{"age": <integer>}`.

    Small models copy an outline far better than they read a JSON Schema.
    """
    if not isinstance(schema, dict):
        return "<any>"
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        fields = schema.get("properties", {})
        return (
            "{"
            + ", ".join(f"{json.dumps(k)}: {schema_outline(v)}" for k, v in fields.items())
            + "}"
        )
    if kind == "array":
        return f"[{schema_outline(schema.get('items', {}))}, ...]"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(schema_outline(s) for s in schema[key])
    return f"<{' or '.join(kind) if isinstance(kind, list) else kind or 'any'}>"


def validate(value: Any, schema: dict[str, Any]) -> str | None:
    """The first validation error of `value` against `schema`, or None if it is valid."""
    try:
        jsonschema: Any = importlib.import_module("jsonschema")
    except ModuleNotFoundError:
        return _validate(value, schema, "$")
    error = next(iter(jsonschema.Draft202012Validator(schema).iter_errors(value)), None)
    if error is None:
        return None
    where = "$" + "".join(f"[{p!r}]" for p in error.absolute_path)
    return f"{where}: {error.message}"


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


def _validate(value: Any, schema: Any, where: str) -> str | None:
    if schema is True or schema == {}:
        return None
    if schema is False:
        return f"{where}: no value is allowed here"
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_TYPES.get(name, lambda _: True)(value) for name in names):
            return f"{where}: expected {' or '.join(names)}, got {type(value).__name__}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: {value!r} is not one of {schema['enum']!r}"
    if "const" in schema and value != schema["const"]:
        return f"{where}: expected {schema['const']!r}"
    for sub in schema.get("allOf", []):
        if error := _validate(value, sub, where):
            return error
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options and all(_validate(value, sub, where) for sub in options):
            return f"{where}: matches none of the {key} alternatives"
    if isinstance(value, dict):
        return _validate_object(value, schema, where)
    if isinstance(value, list):
        return _validate_array(value, schema, where)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return f"{where}: shorter than {schema['minLength']} characters"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{where}: longer than {schema['maxLength']} characters"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"{where}: does not match pattern {schema['pattern']!r}"
    elif _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{where}: {value} is less than {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{where}: {value} is greater than {schema['maximum']}"
    return None


def _validate_object(value: dict[str, Any], schema: dict[str, Any], where: str) -> str | None:
    for name in schema.get("required", []):
        if name not in value:
            return f"{where}: missing required property {name!r}"
    properties: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name not in properties and extra is False:
            return f"{where}: unexpected property {name!r}"
        if error := _validate(item, properties.get(name, extra), f"{where}[{name!r}]"):
            return error
    return None


def _validate_array(value: list[Any], schema: dict[str, Any], where: str) -> str | None:
    if len(value) < schema.get("minItems", 0):
        return f"{where}: fewer than {schema['minItems']} items"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return f"{where}: more than {schema['maxItems']} items"
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            if error := _validate(item, items, f"{where}[{i}]"):
                return error
    return None
