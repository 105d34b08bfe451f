"""Through the real CLI in subprocesses: offline mode opens no socket at all (audit hook),
and a planted API key never shows up in exports, the database file or DEBUG logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.config import dumps_toml
from tests.support.fault_server import fault_server

pytestmark = pytest.mark.slow

KEY = "sk-canary-7f3a9c1e5b2d4f60a8c7e9b1d3f5a7c9"
WORKFLOW = """\
version: 1
metadata: {name: remote-only}
inputs: [{name: q, default: "hello"}]
nodes:
  - {id: q, kind: input, config: {name: q}}
  - id: ask
    kind: llm
    config: {inputs: [q], prompt: "{{ q }}", max_tokens: 8, route: ROUTE}
  - {id: o, kind: output}
edges:
  - {source: q.value, target: ask.q}
  - {source: ask.text, target: o.value}
"""
AUDITED = """
import sys
hits = []
WATCHED = ("socket.connect", "socket.getaddrinfo")
sys.addaudithook(lambda event, args: hits.append(event) if event in WATCHED else None)
from engine.cli.main import main
code = main(sys.argv[1:])
print("SOCKET_EVENTS", len(hits), file=sys.stderr)
sys.exit(code)
"""


def setup(tmp_path: Path, url: str, route: dict[str, Any]) -> tuple[dict[str, str], Path]:
    config = tmp_path / "config.toml"
    endpoint = {"url": url, "models": ["m"], "price_in": 2.0, "price_out": 4.0, "tier": "hard"}
    config.write_text(dumps_toml({"endpoints": {"canary": endpoint}}))
    workflow = tmp_path / "wf.interlock.yaml"
    workflow.write_text(WORKFLOW.replace("ROUTE", json.dumps(route)))
    env = {
        **os.environ,
        "INTERLOCK_CONFIG": str(config),
        "INTERLOCK_DB": str(tmp_path / "runs.db"),
        "INTERLOCK_DATA_DIR": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "INTERLOCK_KEY_CANARY": KEY,
    }
    env.pop("INTERLOCK_OFFLINE", None)
    return env, workflow


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", AUDITED, *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def test_offline_mode_opens_no_socket(tmp_path: Path) -> None:
    with fault_server() as server:
        env, workflow = setup(tmp_path, server.url, {"model": "canary/m"})
        env["INTERLOCK_OFFLINE"] = "1"
        done = cli(env, "run", str(workflow), "--json", "--no-cache")
        assert done.returncode == 1, done.stderr
        summary = json.loads(done.stdout)
        assert "offline: this node can only run on model canary/m" in summary["error"]
        assert "SOCKET_EVENTS 0" in done.stderr
        assert server.connections == 0
        del env["INTERLOCK_OFFLINE"]  # the same setup online does connect: the hook works
        done = cli(env, "run", str(workflow), "--json", "--no-cache")
        assert done.returncode == 0, done.stderr
        assert "SOCKET_EVENTS 0" not in done.stderr and server.connections == 1


def test_a_planted_key_never_leaks(tmp_path: Path) -> None:
    with fault_server("ok", "401_echo", "503", "503", "503", "cut_no_done") as server:
        env, workflow = setup(tmp_path, server.url, {"model": "canary/m"})
        outputs = []
        run_ids = []
        for _ in range(4):  # ok; 401 echoing the key; 503 x3; truncated stream x3
            done = cli(env, "-v", "run", str(workflow), "--json", "--no-cache")
            outputs += [done.stdout, done.stderr]
            run_ids.append(json.loads(done.stdout)["run_id"])
        statuses = [json.loads(o)["status"] for o in outputs[::2]]
        assert statuses[0] == "succeeded" and statuses[1] == "failed"
        assert all(r["headers"].get("authorization") == f"Bearer {KEY}" for r in server.requests)
        assert any(KEY in json.dumps(r) for r in server.requests)  # the canary really was sent
    for run_id in run_ids:
        shown = cli(env, "-v", "show", run_id, "--json")
        outputs += [shown.stdout, shown.stderr]
    listed = cli(env, "-v", "runs", "--json")
    outputs += [listed.stdout, listed.stderr]
    assert "refused the API key" in outputs[3] + "".join(outputs)
    dumps = b"".join(p.read_bytes() for p in tmp_path.glob("runs.db*"))
    assert dumps and b"routing_decision" in dumps
    assert KEY.encode() not in dumps
    assert KEY[8:].encode() not in dumps
    for text in outputs:
        assert KEY not in text and KEY[8:] not in text
