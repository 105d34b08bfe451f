"""`interlock cluster start|join|status|stop`, and `--cluster` on `run` (or the workflow's
`policy.executor`, or the config's `[cluster]` table): where a run's map items execute
(here, or on a Ray cluster's workers)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cli.context import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from engine.cluster.connection import Cluster
    from engine.nodes.executor import ItemExecutor
    from engine.runtime.run_executor import RunExecutor
    from engine.store.protocol import RunStore
    from engine.workflow.model import ExecutorPolicy

LOCAL_HEAD = "local"
"""`--cluster` with no address: the head `interlock cluster start` started here."""


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("cluster", help="run map items on a Ray cluster")
    csub = p.add_subparsers(dest="cluster_command", metavar="ACTION", required=True)
    q = csub.add_parser("start", help="start a Ray head (token auth) and N worker nodes here")
    q.add_argument("--workers", type=int, default=2, help="worker nodes to start (default 2)")
    q.add_argument("--port", type=int, default=6390, help="the head's port (default 6390)")
    q.add_argument("--cpus", type=int, default=1, help="CPUs each worker node offers")
    q.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address the head listens on (default 127.0.0.1: this machine only; "
        "give one other machines reach this one by for workers that join)",
    )
    q.set_defaults(handler=cmd_start)
    q = csub.add_parser("join", help="start a worker node here that joins a head")
    q.add_argument("address", help="the head's HOST:PORT")
    q.add_argument("--token-file", required=True, help="a copy of the head's auth token")
    q.add_argument("--cpus", type=int, help="CPUs this worker offers (default: all)")
    q.set_defaults(handler=cmd_join)
    q = csub.add_parser("status", help="nodes and resources of the cluster")
    q.add_argument("--address", help="HOST:PORT (default: the head started here)")
    q.set_defaults(handler=cmd_status)
    q = csub.add_parser("stop", help="stop every Ray process on this machine")
    q.set_defaults(handler=cmd_stop)


def add_cluster_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cluster",
        nargs="?",
        const=LOCAL_HEAD,
        metavar="ADDRESS",
        help="run map items, and the rows of a batch or evaluation, on the Ray cluster at "
        "HOST:PORT (no value: the one `interlock cluster start` started here)",
    )
    p.add_argument(
        "--cluster-token",
        metavar="FILE",
        help="the cluster's auth token (default: the one `cluster start` wrote)",
    )
    p.add_argument(
        "--no-cluster",
        action="store_true",
        help="run everything in this process even when the workflow's policy.executor or "
        "the config's [cluster] says ray",
    )


def cluster_setting() -> dict[str, Any]:
    """The `[cluster]` table of the user config: `executor` ("local" or "ray": where map
    items of `interlock run` go without --cluster), `address`, `token_file`."""
    from engine.config import ConfigError, load_config

    table = load_config().get("cluster", {})
    if not isinstance(table, dict) or table.get("executor", "local") not in ("local", "ray"):
        raise ConfigError('config [cluster]: executor must be "local" or "ray"')
    return table


def executor_for(
    args: argparse.Namespace, store: RunStore, stated: ExecutorPolicy | None = None
) -> tuple[ItemExecutor | None, Any]:
    """The item executor for a run (None: this process) and what closes it. The first that
    speaks decides: --no-cluster, --cluster, the workflow's `policy.executor` (`stated`),
    then the config's `[cluster]` setting."""
    found = cluster_to_use(
        getattr(args, "cluster", None),
        getattr(args, "cluster_token", None),
        getattr(args, "no_cluster", False),
        stated,
    )
    if found is None:
        return None, None
    return connect_items(*found, store)


def cluster_to_use(
    wanted: str | None,
    token_file: str | None,
    no_cluster: bool,
    stated: ExecutorPolicy | None,
) -> tuple[str, Path | None] | None:
    """The address of the cluster a run's items go to and its token file (None: they run
    here). `wanted`, `token_file`: the command line's (`LOCAL_HEAD`: the head started
    here); then the workflow's `policy.executor` (`stated`), then the config's
    `[cluster]`. ClusterError when the head it names was not started here."""
    if no_cluster:
        return None
    if wanted is None:
        setting = cluster_setting()
        token_file = token_file or setting.get("token_file")
        if stated is not None:
            wanted = (stated.address or LOCAL_HEAD) if stated.kind == "ray" else None
        elif setting.get("executor") == "ray":
            wanted = setting.get("address") or LOCAL_HEAD
    if not wanted:
        return None
    from engine.cluster import ClusterError
    from engine.cluster.control import ClusterHome

    home = ClusterHome.default()
    address = home.address() if wanted == LOCAL_HEAD else str(wanted)
    if address is None:
        raise ClusterError("no cluster was started here: `interlock cluster start`, or pass "
                           "--cluster HOST:PORT")  # fmt: skip
    token = Path(token_file) if token_file else home.token
    return address, token if token.is_file() else None


def connect_items(
    address: str, token: Path | None, store: RunStore | None
) -> tuple[ItemExecutor, Cluster]:
    """Connect to the cluster at `address` (blocks while each worker's actor starts) and
    the executor that sends map items to it, recording into `store`; items may call the
    config's remote endpoints from workers, with keys passed per item."""
    from engine.cluster import Cluster, RayItems
    from engine.cluster.endpoints import CoordinatorEndpoints
    from engine.providers.local import default_local_provider

    cluster: Cluster = Cluster.connect(address, token_path=token)
    catalog = default_local_provider().catalog
    endpoints = CoordinatorEndpoints.configured()
    return RayItems(cluster, store, catalog.checksum, endpoints), cluster


def runs_for(items: ItemExecutor | None) -> RunExecutor:
    """Where whole runs (a batch's rows, an evaluation's) go: the cluster `items` sends map
    items to, or this process."""
    from engine.runtime.run_executor import LOCAL_RUNS

    if items is None or items.name != "ray":
        return LOCAL_RUNS
    from engine.cluster import RayItems, RayRuns

    assert isinstance(items, RayItems)
    return RayRuns(items)


def cmd_start(args: argparse.Namespace) -> int:
    from engine.cluster.control import ClusterHome, start

    home = ClusterHome.default()
    began = time.monotonic()
    address = start(home, args.workers, args.port, args.cpus, args.host)
    took = time.monotonic() - began
    print(f"cluster head at {address} with {args.workers} workers (started in {took:.0f}s)")
    print(f"auth token: {home.token} (copy it to machines that join)")
    print(f"run on it: interlock run FILE --cluster {address}")
    return EXIT_OK


def cmd_join(args: argparse.Namespace) -> int:
    from engine.cluster.control import join

    join(args.address, Path(args.token_file), args.cpus)
    print(f"this machine joined {args.address} as a worker")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from engine.cluster.control import ClusterHome, status

    home = ClusterHome.default()
    address = args.address or home.address()
    if address is None:
        print("no cluster was started here", file=sys.stderr)
        return EXIT_FAILED
    print(f"cluster at {address}")
    print(status(home, address), end="")
    return EXIT_OK


def cmd_stop(args: argparse.Namespace) -> int:
    from engine.cluster.control import ClusterHome, stop

    stop(ClusterHome.default())
    print("cluster stopped")
    return EXIT_OK
