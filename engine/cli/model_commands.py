"""`interlock models`: list, import, remove and benchmark local models."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("models", help="list and manage local models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_models_list)
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    q = msub.add_parser("list", help="list local models")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_models_list)
    q = msub.add_parser("import", help="add a GGUF file to the catalog")
    q.add_argument("path")
    q.add_argument("--reference", action="store_true", help="use the file in place, no copy")
    q.add_argument("--no-bench", action="store_true", help="skip the speed self-benchmark")
    q.set_defaults(handler=cmd_models_import)
    q = msub.add_parser("remove", help="forget an imported model")
    q.add_argument("model_id")
    q.set_defaults(handler=cmd_models_remove)
    q = msub.add_parser("bench", help="measure a model's decode speed")
    q.add_argument("model_id")
    q.set_defaults(handler=cmd_models_bench)


def _catalog() -> Any:
    from local_models.catalog import ModelCatalog

    return ModelCatalog()


def _describe(entry: Any) -> str:
    tps = entry.profile.tokens_per_second
    speed = f"{tps:.0f} tok/s" if tps else "not measured"
    params = f"{entry.parameter_count / 1e6:.0f}M"
    caps = ",".join(entry.profile.capabilities)
    return (
        f"{entry.model_id:<24} {entry.architecture:<8} {params:>6} {entry.quantization:<7} "
        f"ctx {entry.context_length or '?':<6} {caps:<20} {speed:<13} {entry.source}"
    )


def _errors() -> tuple[type[Exception], ...]:
    from local_models.errors import LocalModelError

    return (LocalModelError,)


def cmd_models_list(args: argparse.Namespace) -> int:
    from engine.cli.endpoint_commands import remote_models

    entries = _catalog().list()
    remote = remote_models()
    if getattr(args, "json", False):
        print(json.dumps([e.to_json() for e in entries] + remote, indent=2))
    else:
        for entry in entries:
            print(_describe(entry))
        for r in remote:
            print(
                f"{r['model_id']:<24} {'remote':<8} tier {r['tier']:<8} "
                f"${r['price_in']}/${r['price_out']} per 1M  ctx {r['context']:<6} remote"
            )
    return EXIT_OK


def cmd_models_import(args: argparse.Namespace) -> int:
    try:
        entry = _catalog().import_file(args.path, copy=not args.reference, bench=not args.no_bench)
    except _errors() as exc:
        print(f"interlock: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(_describe(entry))
    return EXIT_OK


def cmd_models_remove(args: argparse.Namespace) -> int:
    try:
        _catalog().remove(args.model_id)
    except _errors() as exc:
        print(f"interlock: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"removed {args.model_id}")
    return EXIT_OK


def cmd_models_bench(args: argparse.Namespace) -> int:
    try:
        entry = _catalog().bench(args.model_id)
    except _errors() as exc:
        print(f"interlock: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(_describe(entry))
    return EXIT_OK
