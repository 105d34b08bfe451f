"""Dataset files: JSONL and CSV rows, expected and metadata columns, located bad rows, the
content hash, export round trips, and the store keeping named versions on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.evaluation.datasets import (
    DatasetError,
    inputs_for,
    read_dataset,
    write_csv,
    write_jsonl,
)
from engine.store.evaluation_records import BARE_EXPECTED, content_hash
from engine.store.evaluations import EvalStore
from engine.workflow.loader import loads_workflow
from tests.engine.evaluation.conftest import SHOUT

WORKFLOW = loads_workflow(SHOUT).workflow


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_rows_split_into_inputs_expected_and_metadata(folder: Path) -> None:
    examples, problems = read_dataset(folder / "shout.jsonl", WORKFLOW)
    assert problems == []
    assert [e.inputs for e in examples] == [
        {"text": "hi"},
        {"text": "ok", "times": 2},
        {"text": "no"},
        {"text": "yes"},
    ]
    assert examples[1].expected == {BARE_EXPECTED: "OKOK"}
    assert examples[1].metadata == {"topic": "repeat"}
    assert examples[3].metadata == {"source": "manual"}
    assert [e.line for e in examples] == [1, 2, 3, 4]


def test_per_output_expected_columns_and_fallback(tmp_path: Path) -> None:
    path = write(tmp_path, "d.jsonl", '{"text": "a", "expected.out": "A", "expected": "x"}\n')
    (example,), _ = read_dataset(path, WORKFLOW)
    assert example.expected_for("out") == "A"
    assert example.expected_for("other") == "x"


def test_bad_rows_are_reported_with_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.jsonl",
        '{"text": "fine"}\n'
        "\n"
        '{"text": "broken"\n'
        '{"times": 2}\n'
        '{"text": "x", "times": "two"}\n'
        "[1, 2]\n",
    )
    examples, problems = read_dataset(path, WORKFLOW)
    assert [e.inputs["text"] for e in examples] == ["fine"]
    by_line = {p.line: p.message for p in problems}
    assert set(by_line) == {3, 4, 5, 6}
    assert "not JSON" in by_line[3]
    assert "missing required input 'text'" in by_line[4]
    assert "must be integer, got str" in by_line[5]
    assert "JSON object" in by_line[6]
    assert problems[0].format(str(path)).startswith(f"{path}:3: ")


def test_csv_cells_are_typed_by_the_workflow(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.csv",
        'text,times,expected,meta.note\nhi,3,HIHIHI,first\n"a, b",1,"A, B",\nx,not-a-number,X,\n',
    )
    examples, problems = read_dataset(path, WORKFLOW)
    assert [e.inputs for e in examples] == [
        {"text": "hi", "times": 3},
        {"text": "a, b", "times": 1},
    ]
    assert examples[0].metadata == {"note": "first"}
    assert [p.line for p in problems] == [4]


def test_without_a_workflow_other_columns_are_inputs_until_run(tmp_path: Path) -> None:
    path = write(tmp_path, "d.jsonl", '{"text": "a", "lang": "en", "expected": "A"}\n')
    (example,), problems = read_dataset(path)
    assert problems == [] and example.inputs == {"text": "a", "lang": "en"}
    assert inputs_for(example, WORKFLOW) == {"text": "a"}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("d.txt", "{}", "a .jsonl or .csv file"),
        ("d.jsonl", b"\xff\xfe", "not UTF-8"),
        ("d.jsonl", "", "holds no rows"),
    ],
)
def test_unusable_files_are_refused(
    tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    try:
        _, problems = read_dataset(path)
    except DatasetError as exc:
        assert reason in str(exc)
    else:
        assert any(reason in p.message for p in problems)


def test_deeply_nested_json_is_a_bad_row_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "d.jsonl", '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    examples, problems = read_dataset(path)
    assert examples == [] and "nested too deeply" in problems[0].message


@pytest.mark.parametrize("writer", [write_jsonl, write_csv])
def test_export_reads_back_to_the_same_content_hash(folder: Path, writer: object) -> None:
    examples, _ = read_dataset(folder / "shout.jsonl", WORKFLOW)
    suffix = ".csv" if writer is write_csv else ".jsonl"
    out = folder / f"again{suffix}"
    out.write_text(writer(examples), encoding="utf-8")  # type: ignore[operator]
    again, problems = read_dataset(out, WORKFLOW)
    assert problems == []
    assert content_hash(again) == content_hash(examples)


def test_content_hash_changes_with_any_value(folder: Path) -> None:
    examples, _ = read_dataset(folder / "shout.jsonl", WORKFLOW)
    changed = list(examples)
    changed[0] = type(examples[0])(0, {"text": "hi"}, {BARE_EXPECTED: "Hi"})
    assert content_hash(changed) != content_hash(examples)


def test_store_keeps_named_versions(store: EvalStore, folder: Path) -> None:
    examples, _ = read_dataset(folder / "shout.jsonl", WORKFLOW)
    digest = content_hash(examples)
    first = store.save_dataset("shout", digest, examples, "shout.jsonl")
    again = store.save_dataset("shout", digest, examples, "elsewhere")
    assert again == first  # the same content under the same name is one version
    fewer = examples[:2]
    second = store.save_dataset("shout", content_hash(fewer), fewer, None)
    assert store.find_dataset("shout") == second  # the newest version by name
    assert store.find_dataset(f"shout@{digest[:6]}") == first
    assert store.find_dataset(digest[:8]) == first
    assert store.find_dataset(digest[:5]) is None  # too short to be a hash
    assert store.find_dataset("nope") is None
    assert [e.inputs for e in store.dataset_examples(digest)] == [e.inputs for e in examples]
    assert store.dataset_examples(second.hash)[1].metadata == {"topic": "repeat"}
    assert {(d.name, d.row_count) for d in store.list_datasets()} == {("shout", 4), ("shout", 2)}
