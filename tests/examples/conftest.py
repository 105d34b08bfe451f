"""Shared set-up for the example workflows' end-to-end tests: each runs a copy of its
example folder (so outputs never land in the repo) through the `interlock` CLI in a
subprocess, with the database, data dir and endpoint config in tmp_path, offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
INTERLOCK = Path(sys.executable).parent / "interlock"

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """`cli(*args, cwd=...)` runs `interlock` against this test's own database and data
    dir, with no endpoint config and the global offline switch on."""
    env = {
        **os.environ,
        "INTERLOCK_DB": str(tmp_path / "runs.db"),
        "INTERLOCK_DATA_DIR": str(tmp_path / "data"),
        "INTERLOCK_CONFIG": str(tmp_path / "config.toml"),
        "INTERLOCK_OFFLINE": "1",
    }

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(INTERLOCK), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=600,
            check=False,
        )

    return run


def copy_example(name: str, tmp_path: Path) -> Path:
    """A copy of resources/examples/<name> in tmp_path; returns the copied folder."""
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target)
    return target


def summary_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in done.stderr, done.stderr
    try:
        parsed: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"no JSON summary (exit {done.returncode}): {done.stderr}") from None
    return parsed


def sections(markdown: str) -> list[str]:
    """The `## ` headings of a Markdown text, in order."""
    return [line[3:].strip() for line in markdown.splitlines() if line.startswith("## ")]
