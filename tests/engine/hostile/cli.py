"""The real `interlock` command in a subprocess, with its exit code, output, wall time and
peak memory, for tests that feed it hostile files and inputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
INTERLOCK = str(Path(sys.executable).parent / "interlock")

_MEASURED = """\
import os, resource, subprocess, sys
limit = int(os.environ.pop("TEST_FILE_SIZE_LIMIT", "0"))
child = (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))) if limit else None
code = subprocess.call(sys.argv[2:], preexec_fn=child)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as f:
    f.write(str(peak))
sys.exit(code)
"""
"""A launcher whose only child is the command: its children's peak RSS is the command's.
With TEST_FILE_SIZE_LIMIT in the environment, the command may not grow any file past that
many bytes (writes fail with EFBIG, as on a full disk)."""


@dataclass(frozen=True)
class Finished:
    code: int
    out: str
    err: str
    seconds: float
    max_rss_mb: float

    @property
    def text(self) -> str:
        return self.out + self.err


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "INTERLOCK_DB": str(tmp_path / "runs.db"),
        "INTERLOCK_DATA_DIR": str(tmp_path / "data"),
        "INTERLOCK_CONFIG": str(tmp_path / "config.toml"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def interlock(env: dict[str, str], *args: str, timeout: float = 120) -> Finished:
    """Run `interlock ARGS`; a command that outlives `timeout` is killed and fails the test."""
    peak = Path(env["INTERLOCK_DATA_DIR"]).parent / f".peak-{os.getpid()}-{time.monotonic_ns()}"
    started = time.monotonic()
    with subprocess.Popen(
        [sys.executable, "-c", _MEASURED, str(peak), INTERLOCK, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        start_new_session=True,  # its own process group, so a runaway is killed whole
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise AssertionError(
                f"interlock {' '.join(args)} still running after {timeout}s"
            ) from None
    seconds = time.monotonic() - started
    rss_kb = float(peak.read_text()) if peak.exists() else 0.0
    peak.unlink(missing_ok=True)
    return Finished(proc.returncode, out, err, seconds, rss_kb / 1024)


def assert_no_traceback(done: Finished) -> None:
    assert "Traceback" not in done.text, done.text
