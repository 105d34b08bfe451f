"""The `interlock` command line: argument parsing, exit codes and sub-command dispatch.

Exit codes: 0 success, 1 the run failed, 2 invalid input or usage, 3 the run waits for
an approval, 130 interrupted (Ctrl+C, or the run stopped as `interrupted`: `resume` it),
141 stdout was closed early (`interlock runs | head -1`: output stops quietly, the status
a shell reports for a process ended by SIGPIPE).
With `--json`, a usage error is also printed on stdout as `{"error": ..., "usage": ...}`.
Other packages add sub-commands through the `interlock.commands` entry-point group (the
desktop adds `app`), so the engine never imports them.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from engine.cli import (
    approval_commands,
    cluster_commands,
    commands,
    dataset_commands,
    endpoint_commands,
    eval_commands,
    mcp_commands,
    model_commands,
    report_commands,
    route_commands,
    tool_commands,
)
from engine.cli.context import EXIT_INTERRUPTED
from engine.cli.redacted_output import redacted_output
from engine.errors import InterlockError, RunInterrupted

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 141


class UsageError(Exception):
    """A command line argparse refused; `main` reports it (as JSON too with `--json`)."""

    def __init__(self, message: str, prog: str, usage: str) -> None:
        super().__init__(message)
        self.prog = prog
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, self.prog, self.format_usage())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="interlock", description="Governed AI workflow orchestration.")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="SQLite file (default: $INTERLOCK_DB or the app data dir)")

    p = sub.add_parser("run", help="run a workflow file")
    p.add_argument("file")
    p.add_argument("--input", "-i", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--inputs-file", metavar="JSON", help="a JSON object of input values")
    db_option(p)
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--no-cache", action="store_true", help="do not reuse cached node results")
    p.add_argument("--from-node", metavar="ID", help="re-run from this node (needs --run)")
    p.add_argument("--run", metavar="RUN_ID", help="the earlier run to reuse results from")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    approval_commands.add_approve_option(p)
    cluster_commands.add_cluster_option(p)
    p.set_defaults(handler=commands.cmd_run)

    p = sub.add_parser("resume", help="continue a run whose process died, or that failed")
    p.add_argument("run_id")
    p.add_argument(
        "--force", action="store_true", help="resume even if its process still seems alive"
    )
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", "-q", action="store_true")
    approval_commands.add_approve_option(p)
    cluster_commands.add_cluster_option(p)
    p.set_defaults(handler=commands.cmd_resume)

    p = sub.add_parser("validate", help="check a workflow file")
    p.add_argument("file")
    p.set_defaults(handler=commands.cmd_validate)

    p = sub.add_parser("schema", help="print the workflow file JSON Schema")
    p.set_defaults(handler=commands.cmd_schema)

    p = sub.add_parser("runs", help="list recent runs")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(handler=commands.cmd_runs)

    p = sub.add_parser("show", help="show one run node by node")
    p.add_argument("run_id")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=commands.cmd_show)

    p = sub.add_parser("cache", help="the result cache")
    cache_sub = p.add_subparsers(dest="cache_command", metavar="ACTION", parser_class=_Parser)
    cache_sub.required = True
    p = cache_sub.add_parser("clear", help="forget every cached node result")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=commands.cmd_cache_clear)

    model_commands.add_parsers(sub)
    report_commands.add_parsers(sub)
    endpoint_commands.add_parsers(sub)
    mcp_commands.add_parsers(sub)
    tool_commands.add_parsers(sub)
    approval_commands.add_parsers(sub, db_option, commands.continue_run)
    dataset_commands.add_parsers(sub, db_option)
    eval_commands.add_parsers(sub, db_option)
    route_commands.add_parsers(sub, db_option)
    cluster_commands.add_parsers(sub)

    for entry in entry_points(group="interlock.commands"):
        try:
            register: Callable[[argparse._SubParsersAction[_Parser]], None] = entry.load()
            register(sub)
        except Exception as exc:  # a broken plugin must not break the core CLI
            log.warning("could not load command %s: %s", entry.name, exc)
    return parser


class _PlainFormatter(logging.Formatter):
    """Log lines without tracebacks: the exception's type and message end the line
    (`--verbose` shows the whole traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return super().format(record)
        plain = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        return f"{super().format(plain)} ({type(exc).__name__}: {exc})"


def _usage_error(error: UsageError, as_json: bool) -> int:
    sys.stderr.write(error.usage)
    print(f"{error.prog}: error: {error}", file=sys.stderr)
    if as_json:
        usage = " ".join(error.usage.split())
        print(json.dumps({"error": str(error), "usage": usage, "exit_code": EXIT_USAGE}))
    return EXIT_USAGE


def _stdout_closed() -> int:
    """The reader of stdout went away: send what is left to devnull so the interpreter's
    final flush does not fail again, and end without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    with redacted_output():  # no known secret is ever printed or logged
        code = _main(argv)
    connection = sys.modules.get("engine.cluster.connection")
    if connection is not None and connection.abandoned() is not None:
        # This process lost its cluster's head: Ray's driver cannot be shut down or torn
        # down with the interpreter (it crashes), and everything here is recorded.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    arguments = eval_commands.normalize_argv(list(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(arguments)
    except UsageError as exc:
        return _usage_error(exc, "--json" in arguments)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # an error logged with its traceback shows as one plain line
        for handler in logging.getLogger().handlers:
            handler.setFormatter(_PlainFormatter("%(levelname)s %(name)s: %(message)s"))
    try:
        code: int = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except RunInterrupted as exc:  # what finished is recorded; the rest can run again
        print(f"interrupted: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except InterlockError as exc:
        print(f"interlock: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code


def cli() -> None:
    """The console script: freeze start-up objects out of the cyclic GC's way, then run."""
    gc.freeze()
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    cli()
