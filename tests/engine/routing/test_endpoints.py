"""Endpoints in the user config file, keys from the keyring or the environment, the
`interlock endpoints` commands and remote models in `interlock models`."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.config import dumps_toml, load_config
from engine.providers.remote import get_key, load_endpoints, redact
from engine.providers.remote.secrets import env_var
from tests.support.fault_server import fault_server

KEY = "sk-test-canary-abcdef0123456789"


def test_toml_writer_round_trips_through_tomllib(tmp_path: Path) -> None:
    import tomllib

    data = {
        "endpoints": {
            "a b": {
                "url": 'http://x/"q"',
                "models": ["m1", "m2"],
                "price_in": 0.5,
                "context": 8,
                "on": True,
                "nested": {"x": 1},
            }
        },
        "top": "v\n",
    }
    assert tomllib.loads(dumps_toml(data)) == data


def test_add_list_remove_with_an_env_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["endpoints", "add", "lab", "--url", "http://127.0.0.1:9/v1", "--model", "m",
                 "--price-in", "0.5", "--price-out", "1.5", "--tier", "hard", "--context", "4096",
                 "--max-concurrency", "2"]) == 0  # fmt: skip
    (endpoint,) = load_endpoints()
    assert (endpoint.name, endpoint.models, endpoint.price_out, endpoint.context) == (
        "lab",
        ("m",),
        1.5,
        4096,
    )
    assert "key" not in json.dumps(load_config()).lower()
    monkeypatch.setenv(env_var("lab"), KEY)
    assert get_key("lab") == KEY  # the fail keyring falls back to INTERLOCK_KEY_LAB
    capsys.readouterr()
    assert main(["endpoints", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["models"] == ["lab/m"] and row["has_key"] is True
    assert main(["models", "--json"]) == 0
    out = capsys.readouterr().out
    assert any(m.get("model_id") == "lab/m" and m["source"] == "remote" for m in json.loads(out))
    assert KEY not in out
    assert main(["endpoints", "remove", "lab"]) == 0 and load_endpoints() == []


def test_keys_need_a_keyring_and_are_never_written_to_the_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    code = main(["endpoints", "add", "lab", "--url", "http://h/v1", "--model", "m", "--key-stdin"])
    err = capsys.readouterr().err
    assert code == 2 and "INTERLOCK_KEY_LAB" in err and KEY not in err
    assert load_endpoints() == []
    assert main(["endpoints", "add", "lab", "--url", "http://u:p@h/v1", "--model", "m"]) == 2


def test_a_keyring_stores_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.memory_keyring.MemoryKeyring")
    keyring.core._keyring_backend = None
    monkeypatch.setenv("K", KEY)
    assert (
        main(
            [
                "endpoints",
                "add",
                "lab",
                "--url",
                "http://h/v1",
                "--model",
                "m",
                "--key-from-env",
                "K",
            ]
        )
        == 0
    )
    monkeypatch.delenv("K")
    assert get_key("lab") == KEY and KEY not in Path(os.environ["INTERLOCK_CONFIG"]).read_text()


def test_endpoints_test_sends_a_tiny_real_request(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with fault_server(default="ok") as server:
        server.reply = "OK"
        assert main(["endpoints", "add", "fs", "--url", server.url, "--model", "m"]) == 0
        monkeypatch.setenv(env_var("fs"), KEY)
        assert main(["endpoints", "test", "fs"]) == 0
        assert "fs: ok" in capsys.readouterr().out
        assert server.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"
        server.default = "401_echo"
        assert main(["endpoints", "test", "fs"]) == 1
        err = capsys.readouterr().err
        assert "refused the API key" in err and KEY not in err


def test_redact_hides_keys_and_key_looking_values() -> None:
    text = f"Authorization: Bearer {KEY} and api_key={KEY} and raw sk-abcdefghijklmnop1234"
    cleaned = redact(text, KEY)
    assert KEY not in cleaned and "sk-abcdefghijklmnop1234" not in cleaned
