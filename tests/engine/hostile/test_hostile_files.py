"""Files that are not what they seem: a FIFO, /dev/zero, a directory or an oversized file
given as a workflow is refused at once with exit 2, never waited on or read into memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import WorkflowLoadError
from engine.readfile import UnreadableFile, read_regular_file
from engine.workflow.lenient import load_lenient
from engine.workflow.loader import MAX_FILE_BYTES, load_workflow
from tests.engine.hostile.cli import assert_no_traceback, cli_env, interlock


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.interlock.yaml"
    os.mkfifo(path)
    return path


def test_a_fifo_is_refused_without_waiting_for_a_writer(fifo: Path) -> None:
    with pytest.raises(WorkflowLoadError, match="not a regular file"):
        load_workflow(fifo)
    assert "not a regular file" in load_lenient(fifo).problems[0].message


def test_a_device_is_refused_before_reading() -> None:
    with pytest.raises(WorkflowLoadError, match="not a regular file"):
        load_workflow("/dev/zero")
    with pytest.raises(UnreadableFile):
        read_regular_file("/dev/zero", 10)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkflowLoadError, match=r"not a regular file|cannot read"):
        load_workflow(tmp_path)


def test_an_oversized_file_is_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.interlock.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: the size alone must refuse it
    with pytest.raises(WorkflowLoadError, match="larger than"):
        load_workflow(path)


def test_read_regular_file_reads_at_most_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(b"x" * 100)
    assert read_regular_file(path, 100) == b"x" * 100
    with pytest.raises(UnreadableFile, match="larger than"):
        read_regular_file(path, 99)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_refuses_a_fifo_and_dev_zero_at_once(tmp_path: Path, fifo: Path, command: str) -> None:
    env = cli_env(tmp_path)
    for target in (str(fifo), "/dev/zero"):
        done = interlock(env, command, target, timeout=60)
        assert_no_traceback(done)
        assert done.code == 2, done.text
        assert f"{target}:1:1: file is not a regular file" in done.text
        assert done.max_rss_mb < 300, done.max_rss_mb
