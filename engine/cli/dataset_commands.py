"""`interlock dataset`: import, list, show, export datasets, and add a past run as a row."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, cast

from engine.cli.context import EXIT_OK, EXIT_USAGE
from engine.errors import WorkflowLoadError
from engine.evaluation.datasets import DatasetError, read_dataset, write_csv, write_jsonl
from engine.store.evaluation_records import BARE_EXPECTED, Example, content_hash
from engine.store.evaluations import EvalStore
from engine.workflow.loader import load_workflow


def add_parsers(sub: Any, db_option: Any) -> None:
    p = sub.add_parser("dataset", help="labelled examples to evaluate workflows on")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    q = dsub.add_parser("import", help="store a JSONL or CSV file as a dataset version")
    q.add_argument("file")
    q.add_argument("--name", required=True)
    q.add_argument("--workflow", help="check rows against this workflow's inputs")
    q.add_argument("--skip-bad", action="store_true", help="store the good rows, skip bad ones")
    db_option(q)
    q.set_defaults(handler=cmd_import)
    q = dsub.add_parser("list", help="stored datasets (newest version first)")
    q.add_argument("--json", action="store_true")
    db_option(q)
    q.set_defaults(handler=cmd_list)
    q = dsub.add_parser("show", help="a dataset's rows (NAME, NAME@HASH or a hash prefix)")
    q.add_argument("ref")
    q.add_argument("--json", action="store_true")
    q.add_argument("--limit", type=int, default=20)
    db_option(q)
    q.set_defaults(handler=cmd_show)
    q = dsub.add_parser("export", help="write a dataset version back to a file")
    q.add_argument("ref")
    q.add_argument("-o", "--output", required=True, help="FILE.jsonl or FILE.csv")
    db_option(q)
    q.set_defaults(handler=cmd_export)
    q = dsub.add_parser(
        "add-run", help="add a past run's inputs, with its outputs as expected values"
    )
    q.add_argument("run_id")
    q.add_argument("--name", required=True, help="the dataset to add to (made if new)")
    q.add_argument(
        "--expected", metavar="JSON", help="expected values to store instead of the outputs"
    )
    db_option(q)
    q.set_defaults(handler=cmd_add_run)


def open_db(path: str | None) -> EvalStore:
    """The run store, which also holds datasets and evaluations."""
    from engine.store import open_store

    return cast(EvalStore, open_store(path))


def _err(message: str) -> int:
    print(f"interlock: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_import(args: argparse.Namespace) -> int:
    workflow = None
    if args.workflow:
        try:
            workflow = load_workflow(args.workflow).workflow
        except WorkflowLoadError as exc:
            for problem in exc.problems:
                print(problem.format(args.workflow), file=sys.stderr)
            return EXIT_USAGE
    try:
        examples, problems = read_dataset(args.file, workflow)
    except DatasetError as exc:
        return _err(str(exc))
    for bad in problems:
        print(bad.format(args.file), file=sys.stderr)
    if problems and not args.skip_bad:
        return _err(f"{len(problems)} bad row(s); nothing stored (--skip-bad stores the rest)")
    if not examples:
        return _err("no good rows to store")
    examples = [
        Example(i, e.inputs, e.expected, e.metadata, e.line) for i, e in enumerate(examples)
    ]
    store = open_db(args.db)
    try:
        info = store.save_dataset(
            args.name, content_hash(examples), examples, str(Path(args.file).resolve())
        )
    finally:
        store.close()
    skipped = f", skipped {len(problems)} bad row(s)" if problems else ""
    print(f"dataset {info.name}@{info.hash[:12]}: {info.row_count} rows{skipped}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        infos = store.list_datasets()
    finally:
        store.close()
    if args.json:
        print(json.dumps([_info_json(i) for i in infos], indent=2))
        return EXIT_OK
    if not infos:
        print("no datasets yet: interlock dataset import FILE --name NAME")
    seen: set[str] = set()
    for info in infos:
        latest = "" if info.name in seen else "  (latest)"
        seen.add(info.name)
        print(f"{info.name:<24} {info.hash[:12]}  {info.row_count:>6} rows{latest}")
    return EXIT_OK


def _info_json(info: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "hash": info.hash,
        "rows": info.row_count,
        "created_at": info.created_at,
        "source": info.source,
    }


def _dataset(args: argparse.Namespace) -> tuple[Any, list[Example]]:
    """The dataset version `args.ref` names and its rows; LookupError when none."""
    store = open_db(args.db)
    try:
        info = store.find_dataset(args.ref)
        if info is None:
            raise LookupError(f"no dataset {args.ref!r} (interlock dataset list)")
        return info, store.dataset_examples(info.hash)
    finally:
        store.close()


def cmd_show(args: argparse.Namespace) -> int:
    try:
        info, examples = _dataset(args)
    except LookupError as exc:
        return _err(str(exc))
    if args.json:
        data = _info_json(info)
        data["examples"] = [{"index": e.index, **e.content()} for e in examples]
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"dataset {info.name}@{info.hash[:12]}: {info.row_count} rows, from {info.source}")
    for example in examples[: max(args.limit, 0)]:
        expected = {
            ("expected" if k == BARE_EXPECTED else k): v for k, v in example.expected.items()
        }
        print(
            f"  [{example.index}] inputs {json.dumps(example.inputs, ensure_ascii=False)[:120]}"
            f"  expected {json.dumps(expected, ensure_ascii=False)[:80]}"
        )
    if len(examples) > args.limit:
        print(f"  ... {len(examples) - args.limit} more (--limit)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    try:
        info, examples = _dataset(args)
    except LookupError as exc:
        return _err(str(exc))
    out = Path(args.output)
    if out.suffix.lower() == ".csv":
        text = write_csv(examples)
    elif out.suffix.lower() in (".jsonl", ".ndjson"):
        text = write_jsonl(examples)
    else:
        return _err("export to a .jsonl or .csv file")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {len(examples)} rows of {info.name}@{info.hash[:12]} to {out}")
    return EXIT_OK


def add_run_to_dataset(store: Any, run_id: str, name: str, expected: Any = None) -> Any:
    """Append a run's inputs (and its outputs, or `expected`, as expected values) to the
    newest version of dataset `name`, storing the result as a new version."""
    run = store.get_run(run_id)
    if run is None:
        raise LookupError(f"no run {run_id!r}")
    current = store.find_dataset(name)
    examples = list(store.dataset_examples(current.hash)) if current is not None else []
    values = run.outputs if expected is None else expected
    if not isinstance(values, dict):
        values = {BARE_EXPECTED: values}
    examples.append(Example(len(examples), dict(run.inputs), dict(values), {"run_id": run_id}))
    return store.save_dataset(name, content_hash(examples), examples, f"run:{run_id}")


def cmd_add_run(args: argparse.Namespace) -> int:
    expected = None
    if args.expected is not None:
        try:
            expected = json.loads(args.expected)
        except json.JSONDecodeError as exc:
            return _err(f"--expected is not JSON: {exc.msg}")
    store = open_db(args.db)
    try:
        info = add_run_to_dataset(store, args.run_id, args.name, expected)
    except LookupError as exc:
        return _err(str(exc))
    finally:
        store.close()
    print(f"dataset {info.name}@{info.hash[:12]}: {info.row_count} rows (added run {args.run_id})")
    return EXIT_OK
