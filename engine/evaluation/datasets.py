"""Dataset files: reading JSONL and CSV examples, checking them against a workflow's inputs,
and writing them back out.

A column named like a workflow input is an input; `expected` (or `expected.<output>`)
holds expected values; `meta.<key>` columns, a `metadata` object and, once the workflow
is known, any other column are metadata. Without a workflow every other column is taken as
an input, and `inputs_for` drops the undeclared ones at run time.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InterlockError
from engine.store.evaluation_records import BARE_EXPECTED, Example
from engine.workflow.inputs import type_matches
from engine.workflow.model import Workflow

MAX_DATASET_BYTES = 64 * 1024 * 1024
MAX_ROWS = 100_000
_EXPECTED = "expected"
_META_PREFIX = "meta."


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One bad row, located in its file."""

    line: int
    message: str

    def format(self, file: str) -> str:
        return f"{file}:{self.line}: {' '.join(self.message.split())}"


class DatasetError(InterlockError):
    """A dataset file that cannot be imported as it is; `problems` say where and why."""

    def __init__(self, file: str, problems: list[RowProblem]) -> None:
        self.file = file
        self.problems = problems
        shown = "\n".join(p.format(file) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} bad row(s) in {file}:\n{shown}{more}")


def read_dataset(
    path: str | Path, workflow: Workflow | None = None
) -> tuple[list[Example], list[RowProblem]]:
    """Examples of a `.jsonl` or `.csv` file and the rows that were refused (with line and
    reason). Raises DatasetError when the file itself cannot be read."""
    path = Path(path)
    try:
        if not path.is_file():
            raise DatasetError(str(path), [RowProblem(0, "not a regular file")])
        if path.stat().st_size > MAX_DATASET_BYTES:
            raise DatasetError(str(path), [RowProblem(0, f"larger than {MAX_DATASET_BYTES} bytes")])
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(str(path), [RowProblem(0, f"not UTF-8 text: {exc.reason}")]) from None
    except OSError as exc:
        raise DatasetError(str(path), [RowProblem(0, f"cannot read: {exc.strerror}")]) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = _csv_rows(text)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        raw = _jsonl_rows(text)
    else:
        raise DatasetError(str(path), [RowProblem(0, "a dataset is a .jsonl or .csv file")])
    return build_examples(raw, workflow, from_csv=suffix == ".csv")


RawRow = tuple[int, dict[str, Any] | None, str | None]
"""(line, the row's columns or None, the reason it could not be parsed)."""


def _jsonl_rows(text: str) -> list[RawRow]:
    rows: list[RawRow] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((number, None, f"not JSON: {exc.msg} at column {exc.colno}"))
            continue
        except RecursionError:
            rows.append((number, None, "JSON nested too deeply"))
            continue
        if not isinstance(value, dict):
            rows.append((number, None, "each line must be a JSON object"))
            continue
        rows.append((number, value, None))
        if len(rows) > MAX_ROWS:
            rows.append((number, None, f"more than {MAX_ROWS} rows"))
            break
    return rows


def _csv_rows(text: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text))
    rows: list[RawRow] = []
    try:
        header = next(reader, None)
        if header is None:
            return []
        header = [h.strip() for h in header]
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                rows.append((line, None, f"{len(cells)} cells, the header has {len(header)}"))
                continue
            rows.append((line, {h: c for h, c in zip(header, cells, strict=True) if c != ""}, None))
            if len(rows) > MAX_ROWS:
                rows.append((line, None, f"more than {MAX_ROWS} rows"))
                break
    except csv.Error as exc:
        rows.append((reader.line_num, None, f"not CSV: {exc}"))
    return rows


def _cell(value: Any, type_name: str, from_csv: bool) -> Any:
    """A CSV cell is text: typed inputs (and JSON-looking expected values) are parsed."""
    if not from_csv or not isinstance(value, str) or type_name in ("string", "any_text"):
        return value
    try:
        return json.loads(value)
    except (json.JSONDecodeError, RecursionError):
        return value


def _split(
    columns: dict[str, Any], workflow: Workflow | None, from_csv: bool
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    declared = {d.name: d for d in workflow.inputs} if workflow is not None else {}
    inputs: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for key, value in columns.items():
        if key == _EXPECTED:
            looks_json = isinstance(value, str) and value.lstrip()[:1] in ("{", "[")
            expected[BARE_EXPECTED] = _cell(value, "json", from_csv and looks_json)
        elif key.startswith(_EXPECTED + "."):
            looks_json = isinstance(value, str) and value.lstrip()[:1] in ("{", "[")
            expected[key[len(_EXPECTED) + 1 :]] = _cell(value, "json", from_csv and looks_json)
        elif key == "metadata" and isinstance(value, dict) and "metadata" not in declared:
            metadata.update(value)
        elif key.startswith(_META_PREFIX):
            metadata[key[len(_META_PREFIX) :]] = value
        elif key in declared:
            inputs[key] = _cell(value, declared[key].type, from_csv)
        elif workflow is not None:
            metadata[key] = value
        else:
            inputs[key] = _cell(value, "any", from_csv)
    return inputs, expected, metadata


def check_inputs(inputs: dict[str, Any], workflow: Workflow) -> list[str]:
    """What is wrong with a row's inputs for `workflow` (missing required, wrong type)."""
    reasons = []
    for decl in workflow.inputs:
        value = inputs.get(decl.name)
        if decl.name not in inputs:
            if decl.required and decl.default is None:
                reasons.append(f"missing required input {decl.name!r}")
            continue
        if value is not None and not type_matches(decl.type, value):
            reasons.append(f"input {decl.name!r} must be {decl.type}, got {type(value).__name__}")
    return reasons


def build_examples(
    raw: list[RawRow], workflow: Workflow | None, *, from_csv: bool = False
) -> tuple[list[Example], list[RowProblem]]:
    examples: list[Example] = []
    problems: list[RowProblem] = []
    for line, columns, reason in raw:
        if columns is None:
            problems.append(RowProblem(line, reason or "unreadable row"))
            continue
        inputs, expected, metadata = _split(columns, workflow, from_csv)
        if workflow is not None and (reasons := check_inputs(inputs, workflow)):
            problems.append(RowProblem(line, "; ".join(reasons)))
            continue
        examples.append(Example(len(examples), inputs, expected, metadata, line))
    if not examples and not problems:
        problems.append(RowProblem(0, "the file holds no rows"))
    return examples, problems


def inputs_for(example: Example, workflow: Workflow) -> dict[str, Any]:
    """The example's values for the inputs `workflow` declares (others are metadata)."""
    declared = {d.name for d in workflow.inputs}
    return {k: v for k, v in example.inputs.items() if k in declared}


def write_jsonl(examples: list[Example]) -> str:
    """JSONL a later import reads back to the same rows (and so the same content hash)."""
    lines = []
    for example in examples:
        row: dict[str, Any] = dict(example.inputs)
        for name, value in example.expected.items():
            row[_EXPECTED if name == BARE_EXPECTED else f"{_EXPECTED}.{name}"] = value
        if example.metadata:
            row["metadata"] = example.metadata
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True))
    return "\n".join(lines) + ("\n" if lines else "")


def write_csv(examples: list[Example]) -> str:
    """CSV with one column per input, expected value and metadata key; non-text values
    are written as JSON."""
    columns: list[str] = []
    rows: list[dict[str, str]] = []
    for example in examples:
        row: dict[str, str] = {}
        flat: dict[str, Any] = dict(example.inputs)
        for name, value in example.expected.items():
            flat[_EXPECTED if name == BARE_EXPECTED else f"{_EXPECTED}.{name}"] = value
        for key, value in example.metadata.items():
            flat[_META_PREFIX + key] = value
        for key, value in flat.items():
            if key not in columns:
                columns.append(key)
            row[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
