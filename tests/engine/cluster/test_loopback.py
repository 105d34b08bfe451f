"""The head `interlock cluster start` starts, and its workers, listen on 127.0.0.1 only:
no Ray server of the cluster is reachable from another machine (Ray on its own turns the
loopback address it is given into the machine's network address and listens on every
interface)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from engine.cluster.connection import Cluster
from engine.cluster.control import ClusterHome
from engine.cluster.loopback import is_loopback

LISTEN = "0A"


def _listening() -> dict[int, str]:
    """Socket inode -> local address of every listening TCP socket on this machine."""
    found: dict[int, str] = {}
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state != LISTEN:
                continue
            hex_ip, _port = local.split(":")
            raw = bytes.fromhex(hex_ip)
            # /proc prints each 32-bit word in host (little-endian) order
            words = [raw[i : i + 4][::-1] for i in range(0, width, 4)]
            found[inode] = str(ipaddress.ip_address(b"".join(words)))
    return found


def _ray_processes() -> dict[int, str]:
    """pid -> command line of the processes a Ray cluster runs here."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(mark in command for mark in ("gcs_server", "raylet", "ray::", "/ray/")):
            found[int(entry.name)] = command
    return found


def _sockets_of(pid: int) -> set[int]:
    inodes: set[int] = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def test_every_server_of_the_cluster_listens_on_loopback_only(
    ray_head: tuple[ClusterHome, str], cluster: Cluster
) -> None:
    _home, address = ray_head
    assert address.startswith("127.0.0.1:")
    listening = _listening()
    processes = _ray_processes()
    names = " ".join(processes.values())
    assert "gcs_server" in names and "raylet" in names  # the head's and workers' servers
    bound = {
        (pid, listening[inode])
        for pid in processes
        for inode in _sockets_of(pid)
        if inode in listening
    }
    assert len({pid for pid, _ in bound}) >= 3  # the GCS and at least both raylets
    wide = sorted((processes[pid][:80], where) for pid, where in bound if not is_loopback(where))
    assert wide == []
    assert len(cluster.workers) == 2  # and the coordinator reached both workers there


def test_loopback_addresses() -> None:
    loopback = ("127.0.0.1", "127.0.1.1", "::1", "[::1]", "::ffff:127.0.0.1", "localhost")
    assert all(is_loopback(h) for h in loopback)
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.2", "example.org"))
