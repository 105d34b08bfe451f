"""Starting, joining, inspecting and stopping a Ray cluster with the `ray` command of this
environment: a head on this machine (token authentication on), worker nodes that carry
the item-worker resource, and the head's address and token under `<data dir>/cluster`."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.cluster.connection import WORKER_RESOURCE, ClusterError
from local_models.paths import default_data_dir

DEFAULT_PORT = 6390
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ClusterHome:
    """Where this machine keeps the cluster it started: its address and auth token."""

    folder: Path

    @classmethod
    def default(cls) -> ClusterHome:
        return cls(default_data_dir() / "cluster")

    @property
    def token(self) -> Path:
        return self.folder / "auth_token"

    @property
    def state(self) -> Path:
        return self.folder / "cluster.json"

    def address(self) -> str | None:
        """The address of the head started here, if one was."""
        try:
            return str(json.loads(self.state.read_text())["address"])
        except (OSError, ValueError, KeyError):
            return None

    def new_token(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        return self.token


def _ray() -> list[str]:
    """Ray's `ray` command, run so that a loopback address stays loopback (see
    engine.cluster.loopback); the `ray` on PATH where this is no Python with Ray."""
    if not getattr(sys, "frozen", False) and importlib.util.find_spec("ray") is not None:
        return [sys.executable, "-m", "engine.cluster.loopback"]
    found = shutil.which("ray")
    if found is None:
        raise ClusterError("the `ray` command is missing: pip install 'interlock[cluster]'")
    return [found]


def _env(token: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "RAY_USAGE_STATS_ENABLED": "0",
    }


def _worker_command(address: str, cpus: int | None) -> list[str]:
    command = [*_ray(), "start", "--address", address, "--resources", f'{{"{WORKER_RESOURCE}": 1}}']
    if cpus is not None:
        command += ["--num-cpus", str(cpus)]
    return command


def _check(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise ClusterError(f"{what} failed (exit {done.returncode}):\n{tail}")


def start(
    home: ClusterHome,
    workers: int,
    port: int = DEFAULT_PORT,
    cpus: int = 1,
    host: str = LOOPBACK,
) -> str:
    """Start a head on this machine (it runs no items) and `workers` worker nodes with
    `cpus` CPUs each; returns the head's address. On 127.0.0.1 (the default) every Ray
    server of the cluster listens on loopback only; with another `host` (an address other
    machines reach this one by, for workers that join), Ray's servers listen on every
    interface and the token keeps other machines' clients out."""
    token = home.new_token()
    env = _env(token)
    head = [
        *_ray(), "start", "--head", "--node-ip-address", host, "--port", str(port),
        "--num-cpus", "0", "--include-dashboard", "false", "--disable-usage-stats",
    ]  # fmt: skip
    _check(subprocess.run(head, env=env, capture_output=True, text=True), "starting the head")
    address = f"{host}:{port}"
    home.state.write_text(json.dumps({"address": address, "workers": workers}))
    for _ in range(workers):  # one at a time: raylets starting together time out
        done = subprocess.run(
            _worker_command(address, cpus), env=env, capture_output=True, text=True
        )
        _check(done, "starting a worker")
    return address


def join(address: str, token: Path, cpus: int | None = None) -> None:
    """Start a worker node on this machine that joins the head at `address`."""
    done = subprocess.run(
        _worker_command(address, cpus), env=_env(token), capture_output=True, text=True
    )
    _check(done, f"joining {address}")


def status(home: ClusterHome, address: str | None = None) -> str:
    """`ray status` of the cluster (the one started here by default)."""
    address = address or home.address()
    if address is None:
        raise ClusterError("no cluster was started here: `interlock cluster start`")
    done = subprocess.run(
        [*_ray(), "status", "--address", address],
        env=_env(home.token),
        capture_output=True,
        text=True,
    )
    _check(done, f"reading the status of {address}")
    return done.stdout


def stop(home: ClusterHome) -> None:
    """Stop every Ray process on this machine (`ray stop --force`) and forget the head."""
    done = subprocess.run(
        [*_ray(), "stop", "--force"], env=_env(home.token), capture_output=True, text=True
    )
    _check(done, "stopping the cluster")
    home.state.unlink(missing_ok=True)
