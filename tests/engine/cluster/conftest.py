"""One real Ray head and two worker nodes on this machine, shared by every cluster test and
stopped once they are done (package scope: the rest of the suite runs without them), and
a coordinator connection to them (item actors on both workers)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from engine.cluster.connection import Cluster
from engine.cluster.control import ClusterHome, start, stop

PORT = 6399
"""Not Ray's default nor `interlock cluster start`'s: a developer's own head is left alone
until teardown, whose `ray stop` ends every Ray process on the machine."""


@pytest.fixture(scope="package")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ClusterHome, str]]:
    if importlib.util.find_spec("ray") is None:  # not imported: the token is set first
        pytest.skip("Ray is not installed (pip install 'interlock[cluster]')")
    home = ClusterHome(tmp_path_factory.mktemp("data") / "cluster")  # as under a data dir
    try:
        address = start(home, workers=2, port=PORT, cpus=1)
        yield home, address
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        stop(home)


@pytest.fixture(scope="package")
def cluster(ray_head: tuple[ClusterHome, str]) -> Iterator[Cluster]:
    home, address = ray_head
    connected = Cluster.connect(address, token_path=home.token)
    yield connected
    connected.close()
