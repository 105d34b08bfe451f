"""Decoding a stored event never depends on which modules happen to be imported: every
module declaring event types is known to the registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.trace import events

ROOT = Path(__file__).resolve().parents[3]


def test_a_fresh_process_decodes_every_event_type_to_its_class() -> None:
    code = (
        "from engine.trace.events import from_record\n"
        "for t in ('tool_called', 'model_call', 'loop_iteration'):\n"
        "    record = {'type': t, 'run_id': 'r', 'seq': 1, 'ts': 0.0, 'node_id': 'n', 'data': {}}\n"
        "    print(type(from_record(record)).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["ToolCalled", "ModelCall", "LoopIteration"]


def test_every_module_declaring_events_is_registered() -> None:
    declaring = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "engine").rglob("*.py")
        if "@event_type\n" in path.read_text(encoding="utf-8")
    }
    assert declaring == {"engine.trace.events", *events.EVENT_MODULES}
