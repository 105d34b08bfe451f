"""What the `interlock` command prints at the edges: usage errors as JSON, a closed pipe,
PDF without a display, runs paused for an approval, required inputs given as null, and a
library's thread printing while a command runs (stdout stays the command's own)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main
from engine.cli.redacted_output import redacted_output

ROOT = Path(__file__).resolve().parents[2]
INTERLOCK = Path(sys.executable).parent / "interlock"

GATED = """\
version: 1
metadata: {name: gated}
inputs: [{name: draft, default: hello}]
nodes:
  - {id: draft, kind: input}
  - {id: gate, kind: approval, config: {summary: "Send {{ proposed }}?"}}
  - {id: sent, kind: output}
edges:
  - {source: draft.value, target: gate.in}
  - {source: gate.approved, target: sent.value}
"""

REQUIRED = """\
version: 1
metadata: {name: required}
inputs:
  - {name: n, type: integer, required: true}
  - {name: anything, type: any, required: true}
nodes:
  - {id: n, kind: input}
  - {id: anything, kind: input}
  - {id: o, kind: output}
  - {id: p, kind: output}
edges:
  - {source: n.value, target: o.value}
  - {source: anything.value, target: p.value}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INTERLOCK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTERLOCK_DB", str(tmp_path / "runs.db"))
    return tmp_path


def interlock(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def headless_env(home: Path) -> dict[str, str]:
    """The environment of a machine with no display and no Qt platform chosen."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def gated_run(home: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = home / "gated.interlock.yaml"
    path.write_text(GATED, encoding="utf-8")
    code, out, _ = interlock(capsys, "run", path, "--approve", "defer", "--json", "-q")
    assert code == 3
    run_id: str = json.loads(out)["run_id"]
    return run_id


# ---- usage errors with --json -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["runs", "--json", "--limit", "many"], "argument --limit: invalid int value: 'many'"),
        (["show", "--json"], "the following arguments are required: run_id"),
        (["runs", "--json", "--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_usage_error_with_json_prints_a_json_error(
    home: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = interlock(capsys, *args)
    assert code == 2
    data = json.loads(out)
    assert data["error"] == message
    assert data["usage"].startswith("usage: interlock ")
    assert data["exit_code"] == 2
    assert message in err  # people still read stderr


def test_usage_error_without_json_prints_only_on_stderr(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = interlock(capsys, "runs", "--limit", "many")
    assert (code, out) == (2, "")
    assert err.startswith("usage: interlock runs")
    assert "interlock runs: error: argument --limit: invalid int value: 'many'" in err


# ---- a run waiting for an approval has not finished ------------------------------------


def test_waiting_run_has_no_finish_time(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = gated_run(home, capsys)

    code, out, _ = interlock(capsys, "runs", "--json")
    assert code == 0
    (listed,) = json.loads(out)
    assert (listed["status"], listed["finished_at"]) == ("waiting_approval", None)

    code, out, _ = interlock(capsys, "show", run_id, "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["finished_at"]) == ("waiting_approval", None)
    gate = next(a for a in shown["attempts"] if a["node_id"] == "gate")
    assert (gate["status"], gate["finished_at"]) == ("waiting", None)
    draft = next(a for a in shown["attempts"] if a["node_id"] == "draft")
    assert draft["finished_at"] is not None

    code, out, _ = interlock(capsys, "runs")
    assert out.split()[3:5] == ["waiting_approval", "-"]  # id, date, time, status, took

    code, out, _ = interlock(capsys, "show", run_id)
    assert ", finished -, " in out
    gate_line = next(line for line in out.splitlines() if line.strip().startswith("gate "))
    assert gate_line.split()[2:] == ["waiting", "-"]


# ---- required inputs given as null -------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(["--input", "n=null", "--input", "anything=1"], id="option-integer"),
        pytest.param(["--input", "n=1", "--input", "anything=null"], id="option-any"),
        pytest.param({"n": None, "anything": 1}, id="file-integer"),
        pytest.param({"n": 1, "anything": None}, id="file-any"),
    ],
)
def test_required_input_given_as_null_is_refused(
    home: Path, capsys: pytest.CaptureFixture[str], given: list[str] | dict[str, Any]
) -> None:
    path = home / "required.interlock.yaml"
    path.write_text(REQUIRED, encoding="utf-8")
    if isinstance(given, dict):
        values = home / "inputs.json"
        values.write_text(json.dumps(given), encoding="utf-8")
        given = ["--inputs-file", str(values)]
    code, out, err = interlock(capsys, "run", path, *given, "--json", "-q")
    assert (code, out) == (2, "")
    assert "is required" in err
    assert json.loads(interlock(capsys, "runs", "--json")[1]) == []  # nothing recorded


def test_required_inputs_given_run(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / "required.interlock.yaml"
    path.write_text(REQUIRED, encoding="utf-8")
    code, out, _ = interlock(capsys, "run", path, "-i", "n=0", "-i", "anything=false", "--json")
    assert code == 0
    assert json.loads(out)["outputs"] == {"o": 0, "p": False}


# ---- subprocess: a closed pipe, PDF with no display --------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("command", ["runs", "show", "schema"])
def test_closed_stdout_ends_quietly(
    home: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    run_id = gated_run(home, capsys)
    args = {"runs": ["runs"], "show": ["show", run_id], "schema": ["schema"]}[command]
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte (`... | head -0`)
    try:
        done = subprocess.run(
            [str(INTERLOCK), *args],
            stdout=write,
            stderr=subprocess.PIPE,
            env=headless_env(home) | {"INTERLOCK_DB": str(home / "runs.db")},
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert done.stderr == ""
    assert done.returncode == 141


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("PySide6") is None, reason="PDF needs Qt")
def test_pdf_report_works_without_a_display(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = gated_run(home, capsys)
    pdf = home / "report.pdf"
    done = subprocess.run(
        [str(INTERLOCK), "report", run_id, "--format", "pdf", "-o", str(pdf)],
        capture_output=True,
        env=headless_env(home) | {"INTERLOCK_DB": str(home / "runs.db")},
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_a_library_thread_printing_mid_command_writes_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ray's driver prints the errors its cluster reports (a lost head's) to stdout from its
    own thread: with `--json` that text would land in front of the JSON a script parses."""
    worker = pytest.importorskip("ray._private.worker")

    def ray_reports_a_lost_raylet() -> None:
        lines = ["Raylet is terminated. Termination is unexpected."]
        worker.print_to_stdstream({"lines": lines, "pid": "raylet", "is_err": False}, False)

    with redacted_output():
        print("{")
        thread = threading.Thread(target=ray_reports_a_lost_raylet, name="ray_listen_error")
        thread.start()
        thread.join()
        print('  "status": "interrupted"\n}')
    out, err = capsys.readouterr()
    assert json.loads(out) == {"status": "interrupted"}
    assert "Raylet is terminated. Termination is unexpected." in err
