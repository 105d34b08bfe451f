"""CLI commands for trace reports: `report` (html, pdf, md, json, otlp), `import-run` (a JSON
run export into a database) and `diff` (two runs node by node)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="SQLite file (default: $INTERLOCK_DB or the app data dir)")


def add_parsers(sub: Any) -> None:
    from engine.reports import FORMATS

    p = sub.add_parser("report", help="export a run as HTML, PDF, Markdown, JSON or OTLP")
    p.add_argument("run_id")
    p.add_argument("--format", "-f", choices=FORMATS, default="html")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    _db_option(p)
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser("import-run", help="load a JSON run export into a database")
    p.add_argument("file")
    _db_option(p)
    p.set_defaults(handler=cmd_import_run)

    p = sub.add_parser("diff", help="compare two runs node by node")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("--format", "-f", choices=("text", "html", "json"), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    _db_option(p)
    p.set_defaults(handler=cmd_diff)


def _write(content: str | bytes, output: str | None) -> None:
    if output is None or output == "-":
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content)
        return
    path = Path(output)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def _headless_qt() -> None:
    """PDF is drawn by Qt: with no display to connect to, use Qt's offscreen platform
    (set before Qt loads) instead of aborting. An explicit QT_QPA_PLATFORM is kept."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def cmd_report(args: argparse.Namespace) -> int:
    from engine.cli.context import open_db
    from engine.reports import render

    if args.format == "pdf" and not args.output:
        print("interlock: error: --format pdf needs -o FILE", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "pdf":
        _headless_qt()
    store = open_db(args.db)
    try:
        content = render(args.run_id, store, args.format)
    finally:
        store.close()
    _write(content, args.output)
    return EXIT_OK


def cmd_import_run(args: argparse.Namespace) -> int:
    from engine.cli.context import open_db
    from engine.reports import ReportError, import_run

    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read {args.file}: {exc}") from None
    store = open_db(args.db)
    try:
        run_id = import_run(store, data)
    finally:
        store.close()
    print(run_id)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from engine.cli.context import open_db
    from engine.reports import build_report, diff_runs, render_diff

    store = open_db(args.db)
    try:
        result = diff_runs(build_report(store, args.run_a), build_report(store, args.run_b))
    finally:
        store.close()
    _write(render_diff(result, args.format), args.output)
    return EXIT_OK
