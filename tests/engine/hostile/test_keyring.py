"""Keys never go to a plaintext keyring: where the only keyring is keyrings.alt's file
keyring (or none), `endpoints add` says so and the key stays in the environment variable;
no environment the project sets up installs such a keyring."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from engine.providers.remote import secrets
from tests.engine.hostile.cli import ROOT, cli_env, interlock

KEY = "Canary0f1e2d3c4b5a69788796a5b4c3d2e1f0"


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
    pytest.importorskip("keyrings.alt.file")
    env = cli_env(
        tmp_path,
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "xdg"),
        K=KEY,
    )
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
