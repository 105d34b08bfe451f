"""One real Ray head and two worker nodes on this machine, shared by every cluster test and
stopped once they are done (package scope: the rest of the suite runs without them), and
a coordinator connection to them (item actors on both workers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.cluster.connection import Cluster
from engine.cluster.control import ClusterHome
from tests.support.ray_head import ray_head_in


@pytest.fixture(scope="package")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ClusterHome, str]]:
    with ray_head_in(tmp_path_factory.mktemp("data")) as head:
        yield head


@pytest.fixture(scope="package")
def cluster(ray_head: tuple[ClusterHome, str]) -> Iterator[Cluster]:
    home, address = ray_head
    connected = Cluster.connect(address, token_path=home.token)
    yield connected
    connected.close()
