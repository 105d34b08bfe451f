"""Run export: the run record, every event, node attempts and approvals as one JSON file
(HTML, PDF, Markdown and OTLP reports come from `engine.reports`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from engine.store.protocol import RunStore

EXPORT_VERSION = 1


def run_export(store: RunStore, run_id: str) -> dict[str, Any]:
    record = store.get_run(run_id)
    if record is None:
        raise KeyError(run_id)
    return {
        "export_version": EXPORT_VERSION,
        "run": dataclasses.asdict(record),
        "events": [e.to_record() for e in store.events(run_id)],
        "attempts": [dataclasses.asdict(a) for a in store.attempts(run_id)],
        "approvals": [
            {
                "request": a.request.to_json(),
                "status": a.status,
                "decision": a.decision.to_json() if a.decision else None,
            }
            for a in store.list_approvals(status=None, run_id=run_id)
        ],
    }


def export_run_json(store: RunStore, run_id: str, path: Path) -> Path:
    data = run_export(store, run_id)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=repr)
    path.write_text(text + "\n", encoding="utf-8")
    return path
