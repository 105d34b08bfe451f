"""Keeping a Ray cluster on 127.0.0.1. Ray turns a loopback address it is given (the
head's `--node-ip-address`, the `--address` a worker or driver joins) into this machine's
network address, so that other machines could reach it; its servers then listen on every
interface. A head `interlock cluster start` starts is for this machine only: in the
processes that start, join or drive it, that translation is switched off, so Ray's servers
bind to 127.0.0.1 and its clients look for them there. Other addresses pass unchanged.

`python -m engine.cluster.loopback ARGS` is Ray's own `ray` command with this in place."""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (mapped or ip).is_loopback


def keep_loopback() -> bool:
    """Switch the translation off in this process (Ray imported); False when this Ray has
    no such step (then it binds as it is told, and nothing needs doing)."""
    from ray._private import services

    resolve: Any = getattr(services, "resolve_ip_for_localhost", None)
    if resolve is None:
        return False
    if getattr(resolve, "keeps_loopback", False):
        return True

    def as_given(host: str) -> str:
        return host if is_loopback(host) else str(resolve(host))

    as_given.keeps_loopback = True  # type: ignore[attr-defined]
    services.resolve_ip_for_localhost = as_given
    return True


def keep_loopback_for(address: str) -> bool:
    """Before a driver joins the head at `address` (host:port): keep loopback when the
    head is on this machine's loopback only, as `interlock cluster start` leaves it. A
    head Ray started on this machine's network address (it listens there too) is joined
    the way Ray joins it, so its nodes and this driver agree on the machine's address."""
    from ray._private import services

    host, _, port = address.rpartition(":")
    if not is_loopback(host) or not port.isdigit():
        return False
    network = str(services.get_node_ip_address())  # type: ignore[no-untyped-call]
    if not is_loopback(network) and _answers(network, int(port)):
        return False
    return keep_loopback()


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def main() -> None:
    from ray.scripts.scripts import main as ray_main

    keep_loopback()
    sys.argv[0] = "ray"
    sys.exit(ray_main())  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
