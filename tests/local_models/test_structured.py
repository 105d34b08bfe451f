"""JSON extraction and validation of model output (no model needed)."""

from __future__ import annotations

from typing import Any

import pytest

from local_models.structured import _validate, check_json

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_accepts_json_wrapped_in_a_fence_and_prose() -> None:
    check = check_json('Sure!\n```json\n{"name": "Ann", "age": 4}\n```\nDone.', PERSON)
    assert check.valid and check.value == {"name": "Ann", "age": 4} and check.error is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"name": "Ann"', "not valid JSON"),
        ('{"name": "Ann"}', "age"),
        ('{"name": "Ann", "age": "four"}', "age"),
        ('{"name": "Ann", "age": 4, "x": 1}', "x"),
    ],
)
def test_reports_why_output_is_invalid(text: str, error: str) -> None:
    check = check_json(text, PERSON)
    assert not check.valid
    assert check.error is not None and error in check.error


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ({"name": "Ann", "age": 4}, True),
        ({"name": "Ann", "age": -1}, False),
        ({"name": "Ann", "age": True}, False),
        ({"name": "Ann", "age": 4, "extra": 1}, False),
        ({"age": 4}, False),
    ],
)
def test_builtin_validator_agrees_with_the_schema(value: dict[str, Any], ok: bool) -> None:
    assert (_validate(value, PERSON, "$") is None) is ok


def test_builtin_validator_handles_arrays_enums_and_alternatives() -> None:
    schema = {
        "type": "array",
        "minItems": 1,
        "items": {"anyOf": [{"enum": ["a", "b"]}, {"type": "null"}]},
    }
    assert _validate(["a", None, "b"], schema, "$") is None
    assert _validate([], schema, "$") == "$: fewer than 1 items"
    assert "[1]" in (_validate(["a", "c"], schema, "$") or "")
