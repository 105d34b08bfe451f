"""Keys never go to a plaintext keyring: where the only keyring is keyrings.alt's file
keyring (or none), `endpoints add` says so and the key stays in the environment variable;
no environment the project sets up installs such a keyring, so where keyrings.alt is not
installed the test puts a stand-in for its plaintext keyring on the command's path."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.providers.remote import secrets
from tests.engine.hostile.cli import ROOT, cli_env, interlock

KEY = "Canary0f1e2d3c4b5a69788796a5b4c3d2e1f0"

PLAINTEXT_KEYRING = '''\
"""A stand-in for keyrings.alt's PlaintextKeyring: keys in a plain file of XDG_DATA_HOME."""
import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class PlaintextKeyring(KeyringBackend):
    priority = 0.5

    def _file(self):
        return Path(os.environ["XDG_DATA_HOME"]) / "python_keyring" / "keyring_pass.cfg"

    def _keys(self):
        return json.loads(self._file().read_text()) if self._file().exists() else {}

    def get_password(self, service, username):
        return self._keys().get(f"{service} {username}")

    def set_password(self, service, username, password):
        keys = {**self._keys(), f"{service} {username}": password}
        self._file().parent.mkdir(parents=True, exist_ok=True)
        self._file().write_text(json.dumps(keys))

    def delete_password(self, service, username):
        keys = self._keys()
        keys.pop(f"{service} {username}", None)
        self._file().write_text(json.dumps(keys))
'''


def plaintext_keyring_path(tmp_path: Path) -> str:
    """PYTHONPATH for a command whose keyring is keyrings.alt's plaintext file keyring:
    the installed one, or the stand-in written under `tmp_path`."""
    try:
        if importlib.util.find_spec("keyrings.alt.file") is not None:
            return str(ROOT)
    except ModuleNotFoundError:  # no keyrings package at all
        pass
    package = tmp_path / "site" / "keyrings" / "alt"
    package.mkdir(parents=True)
    (package / "file.py").write_text(PLAINTEXT_KEYRING)
    return f"{ROOT}{os.pathsep}{tmp_path / 'site'}"


def _backend_from(module: str) -> object:
    cls = type("PlaintextKeyring", (), {"__module__": module})
    return cls()


def test_file_null_and_fail_keyrings_are_not_secure() -> None:
    for module in ("keyrings.alt.file", "keyring.backends.null", "keyring.backends.fail"):
        assert secrets._insecure(_backend_from(module))
    assert not secrets._insecure(_backend_from("keyring.backends.SecretService"))
    chain = type("ChainerBackend", (), {"backends": [_backend_from("keyrings.alt.file")]})()
    assert secrets._insecure(chain)


def test_no_extra_of_the_project_installs_a_plaintext_keyring() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lists = [project["dependencies"], *project.get("optional-dependencies", {}).values()]
    assert not [d for deps in lists for d in deps if d.lower().startswith("keyrings")]
    assert "keyrings" not in (ROOT / "packaging" / "setup.sh").read_text()


@pytest.mark.slow
def test_endpoints_add_refuses_the_plaintext_keyring(tmp_path: Path) -> None:
    env = cli_env(
        tmp_path,
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "xdg"),
        PYTHONPATH=plaintext_keyring_path(tmp_path),
        K=KEY,
    )
    keeps = "import keyring; keyring.set_password('probe', 'u', 'p'); print(keyring.get_keyring())"
    probe = subprocess.run([sys.executable, "-c", keeps], env=env, capture_output=True, text=True)
    assert "PlaintextKeyring" in probe.stdout, probe.stderr  # a keyring that would keep keys
    assert (tmp_path / "xdg" / "python_keyring").exists()
    shutil.rmtree(tmp_path / "xdg" / "python_keyring")

    add = ("endpoints", "add", "lab", "--url", "http://127.0.0.1:9/v1", "--model", "m")
    done = interlock(env, *add, "--key-from-env", "K")
    assert done.code == 2, done.text
    assert "no secure OS keyring" in done.err and "INTERLOCK_KEY_LAB" in done.err
    done = interlock({**env, "INTERLOCK_KEY_LAB": KEY}, *add, "--key-from-env", "K")
    assert done.code == 0, done.text
    assert "the key is read from $INTERLOCK_KEY_LAB" in done.out
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(KEY not in p.read_bytes().decode("latin-1") for p in written)
    assert not (tmp_path / "xdg" / "python_keyring").exists()
