"""`interlock audit verify|export` (the hash-chained audit trail) and `interlock tools list`.

Exit codes: 0 ok, 1 the audit trail does not verify, 2 usage or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.cli.context import open_db

EXIT_OK, EXIT_BROKEN, EXIT_USAGE = 0, 1, 2


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("audit", help="verify or export the tamper-evident audit trail")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    q = asub.add_parser("verify", help="recompute the hash chain; exit 1 at the first broken entry")
    q.add_argument("--db", help="SQLite file (default: $INTERLOCK_DB or the app data dir)")
    q.add_argument("--file", help="verify an exported JSON-lines file instead of the database")
    q.add_argument("--anchor", help="an earlier export: its head must still be in the trail")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_audit_verify)
    q = asub.add_parser("export", help="write the trail as JSON lines, ending with the head hash")
    q.add_argument("--db", help="SQLite file (default: $INTERLOCK_DB or the app data dir)")
    q.add_argument("-o", "--output", help="file to write (default: stdout)")
    q.set_defaults(handler=cmd_audit_export)
    p = sub.add_parser("tools", help="the built-in tools")
    tsub = p.add_subparsers(dest="tools_command", metavar="ACTION", required=True)
    q = tsub.add_parser("list", help="list tools with their side-effect class and scope")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_tools_list)


def _read_export(path: str) -> tuple[list[Any], dict[str, Any] | None]:
    """The entries of an exported trail and its head line; a line that cannot be read is an
    `UnreadableEntry` (the trail is broken there), not a reason to stop reading."""
    from engine.audit.chain import AuditEntry, UnreadableEntry

    entries: list[Any] = []
    head = None
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            if "head" in data and "action" not in data:
                head = data
                continue
            entries.append(AuditEntry.from_json(data))
        except (ValueError, TypeError) as exc:
            problem = f"line {number}: {type(exc).__name__}: {exc}"
            entries.append(UnreadableEntry("unreadable", "unreadable", problem=problem))
    return entries, head


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from engine.audit.chain import verify_chain

    try:
        anchor = _read_export(args.anchor)[1] if args.anchor else None
        if args.file:
            entries, head = _read_export(args.file)
            anchor = anchor or head
        else:
            store = open_db(args.db)
            try:
                entries = store.audit_entries()
            finally:
                store.close()
    except (OSError, ValueError, TypeError) as exc:
        print(f"interlock: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = verify_chain(
        entries,
        expect_head=anchor["head"] if anchor else None,
        expect_count=anchor["count"] if anchor else None,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "checked": report.checked,
                    "head": report.head,
                    "first_bad_seq": report.first_bad_seq,
                    "reason": report.reason,
                }
            )
        )
    elif report.ok:
        print(f"audit trail ok: {report.checked} entries, head {report.head}")
    else:
        print(
            f"audit trail BROKEN at entry {report.first_bad_seq}: {report.reason} "
            f"({report.checked} entries verified before it)"
        )
    return EXIT_OK if report.ok else EXIT_BROKEN


def cmd_audit_export(args: argparse.Namespace) -> int:
    from engine.audit.chain import canonical_json, verify_chain

    store = open_db(args.db)
    try:
        entries = store.audit_entries()
    finally:
        store.close()
    report = verify_chain(entries)
    lines = [canonical_json(e.to_json()) for e in entries]
    lines.append(
        canonical_json(
            {
                "head": entries[-1].hash if entries else report.head,
                "count": len(entries),
                "verified": report.ok,
            }
        )
    )
    text = "\n".join(lines) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {len(entries)} entries to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if not report.ok:
        print(
            f"warning: the trail does not verify at entry {report.first_bad_seq}: {report.reason}",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_tools_list(args: argparse.Namespace) -> int:
    from engine.nodes.toolbox import builtin_tools

    tools = builtin_tools().tools()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        **t.describe(),
                        "side_effect": t.side_effect,
                        "idempotent": t.idempotent,
                        "scope": t.scope.model_json_schema(),
                    }
                    for t in tools
                ],
                indent=2,
            )
        )
        return EXIT_OK
    for tool in tools:
        scope = ", ".join(tool.scope.model_fields)
        print(f"{tool.name:<18} {tool.side_effect:<9} scope: {scope:<40} {tool.description}")
    return EXIT_OK
