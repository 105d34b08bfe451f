"""`interlock approvals / approve / reject`, and the approvers behind `run --approve`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from engine.approvals.model import ApprovalDecision, ApprovalRecord
from engine.approvals.validate import check_decision
from engine.cli.context import open_db
from engine.errors import RunError
from engine.runtime.approval_gate import Approver, defer, deny, waiting_for
from engine.store.protocol import RunStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MODES = ("prompt", "deny", "defer", "wait")


def add_approve_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--approve",
        choices=MODES,
        default=None,
        help="how approvals are answered: prompt on this terminal (default with a terminal), "
        "deny = fail closed (default without one), defer = pause the run until "
        "`interlock approve`, wait = wait for a decision made elsewhere",
    )


def approver_for(mode: str | None, store: RunStore) -> Approver:
    mode = mode or ("prompt" if sys.stdin.isatty() else "deny")
    if mode == "deny":
        return deny
    if mode == "defer":
        return defer
    if mode == "wait":
        return waiting_for(store)
    return prompt


def _show(record: ApprovalRecord, stream: Any) -> None:
    req = record.request
    print(f"\n=== approval needed: {req.title} (run {req.run_id}, node {req.node_id})", file=stream)
    if req.rule:
        print(f"rule: {req.rule}", file=stream)
    if req.summary:
        print(req.summary, file=stream)
    print("proposed:", json.dumps(req.proposed, indent=2, ensure_ascii=False), file=stream)


async def prompt(record: ApprovalRecord) -> ApprovalDecision:
    """Ask on the terminal (in a thread, so the run's other branches keep going)."""
    return await asyncio.to_thread(_prompt_blocking, record)


def _prompt_blocking(record: ApprovalRecord) -> ApprovalDecision:
    out = sys.stderr
    _show(record, out)
    while True:
        out.write("[a]pprove, [r]eject, [e]dit then approve? ")
        out.flush()
        answer = sys.stdin.readline().strip().lower()
        if not answer:
            return ApprovalDecision("reject", getpass.getuser(), "no answer (end of input)")
        if answer[0] not in "are":
            continue
        edited = None
        if answer[0] == "e":
            out.write("edited value (JSON, one line): ")
            out.flush()
            try:
                edited = json.loads(sys.stdin.readline())
            except json.JSONDecodeError as exc:
                out.write(f"not JSON: {exc.msg}\n")
                continue
        out.write("comment: ")
        out.flush()
        comment = sys.stdin.readline().strip()
        verdict: Any = {"a": "approve", "r": "reject", "e": "edit"}[answer[0]]
        decision = ApprovalDecision(verdict, getpass.getuser(), comment, edited)
        problem = check_decision(record.request, decision)
        if problem is None:
            return decision
        out.write(f"not accepted: {problem}\n")


def add_parsers(sub: Any, db_option: Any, continue_run: Any) -> None:
    """`continue_run(args)` resumes a run after its decision (the run command's own)."""
    p = sub.add_parser("approvals", help="list pending approval requests across runs")
    db_option(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="include decided requests")
    p.set_defaults(handler=cmd_approvals)
    for verb in ("approve", "reject"):
        p = sub.add_parser(verb, help=f"{verb} a pending request, then continue the run")
        p.add_argument("run_id")
        p.add_argument("node_id")
        p.add_argument("--comment", "-m", default="")
        if verb == "approve":
            p.add_argument("--edit", metavar="JSON|@FILE", help="approve this value instead")
        p.add_argument("--as", dest="decider", default=None, help="decider name (default: you)")
        p.add_argument("--request", help="request id, when a node has several pending")
        p.add_argument("--no-continue", action="store_true", help="only record the decision")
        p.add_argument("--json", action="store_true")
        p.add_argument("--quiet", "-q", action="store_true")
        add_approve_option(p)
        db_option(p)
        p.set_defaults(handler=cmd_decide, verb=verb, continue_run=continue_run)


def cmd_approvals(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        records = store.list_approvals(status=None if args.all else "pending")
    finally:
        store.close()
    if args.json:
        print(json.dumps([_record_json(r) for r in records], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not records:
        print("no pending approvals")
    for r in records:
        req = r.request
        print(f"{req.run_id}  {req.node_id:<16} {r.status:<9} {req.title}")
    return EXIT_OK


def _record_json(record: ApprovalRecord) -> dict[str, Any]:
    return {
        "request_id": record.request_id,
        "status": record.status,
        "request": record.request.to_json(),
        "decision": record.decision.to_json() if record.decision else None,
    }


def _edit_value(text: str) -> Any:
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise RunError(f"cannot read {text[1:]}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunError(f"--edit is not valid JSON: {exc.msg} at {exc.pos}") from None


def _find(store: RunStore, args: argparse.Namespace) -> ApprovalRecord:
    if store.get_run(args.run_id) is None:
        raise RunError(f"no run {args.run_id!r}")
    records = [
        r
        for r in store.list_approvals(status=None, run_id=args.run_id)
        if r.request.node_id == args.node_id
        and (args.request is None or r.request_id == args.request)
    ]
    pending = [r for r in records if r.status == "pending"]
    if not pending:
        if records:
            last = records[-1]
            who = f" by {last.decision.decider}" if last.decision else ""
            raise RunError(
                f"node {args.node_id!r} of run {args.run_id} is not waiting: its request "
                f"was already decided ({last.status}{who})"
            )
        raise RunError(f"node {args.node_id!r} of run {args.run_id} is not waiting for approval")
    if len(pending) > 1:
        ids = ", ".join(r.request_id for r in pending)
        raise RunError(
            f"node {args.node_id!r} has several pending requests; pick --request ({ids})"
        )
    return pending[0]


def cmd_decide(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        record = _find(store, args)
        edited = _edit_value(args.edit) if getattr(args, "edit", None) else None
        verdict: Any = (
            "reject" if args.verb == "reject" else ("edit" if edited is not None else "approve")
        )
        decision = ApprovalDecision(
            verdict, args.decider or getpass.getuser(), args.comment, edited
        )
        problem = check_decision(record.request, decision)
        if problem:
            print(f"interlock: error: {problem}", file=sys.stderr)
            return EXIT_USAGE
        store.decide_approval(record.request_id, decision)
        print(f"{args.verb}d {args.node_id} of run {args.run_id}", file=sys.stderr)
        run = store.get_run(args.run_id)
    finally:
        store.close()
    if args.no_continue or run is None or run.status not in ("waiting_approval", "running"):
        return EXIT_OK
    try:
        # A paused run continues here; so does one whose process died while it waited.
        code: int = args.continue_run(args)
    except RunError as exc:
        if run.status != "running":
            raise
        # Its own process is alive and waiting for this decision: it goes on by itself.
        print(f"the run goes on in its own process ({exc})", file=sys.stderr)
        return EXIT_OK
    return code
