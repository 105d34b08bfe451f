"""A real Ray head and two worker nodes on this machine for tests that run map items on a
cluster, stopped when the fixture that started it ends (its `ray stop` ends every Ray
process on the machine)."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.cluster.control import ClusterHome, start, stop

PORT = 6399
"""Not Ray's default nor `interlock cluster start`'s: a developer's own head is left alone
until teardown."""


@contextlib.contextmanager
def ray_head_in(folder: Path) -> Iterator[tuple[ClusterHome, str]]:
    """Start the head and its workers with their home in `folder` (as under a data dir)."""
    if importlib.util.find_spec("ray") is None:  # not imported: the token is set first
        pytest.skip("Ray is not installed (pip install 'interlock[cluster]')")
    home = ClusterHome(folder / "cluster")
    try:
        address = start(home, workers=2, port=PORT, cpus=1)
        yield home, address
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        stop(home)
