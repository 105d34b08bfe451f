"""A canary API key on endpoints that fail in twelve ways, echo the credentials they get
(whole, cut, in fragments, base64, URL-encoded) or answer with the key: no file under the
data folder, the database (with its WAL), an export or the CLI's stdout/stderr ever holds
the key, an 8-character piece of it, or its base64."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from engine.audit.secrets import FRAGMENT, forget_secrets, redact_known, register_secret
from engine.providers.remote.secrets import env_var
from tests.engine.hostile.canary_remote import BEHAVIOURS, FAILING, CanaryServer, canary_server
from tests.engine.hostile.cli import Finished, cli_env, interlock

KEY = "Canary" + secrets.token_hex(17)  # 40 characters no token pattern recognises


def forbidden(key: str) -> set[str]:
    """The key's 8-character pieces, and those of its base64 and URL-encoded forms."""
    b64 = base64.b64encode(key.encode()).decode()
    forms = {key, quote(key, safe=""), b64[:-4], b64[:-4].replace("+", "-").replace("/", "_")}
    return {form[i : i + FRAGMENT] for form in forms for i in range(len(form) - FRAGMENT + 1)}


def leaks(text: str, key: str = KEY) -> list[str]:
    return sorted(piece for piece in forbidden(key) if piece in text)


@pytest.fixture
def known_key() -> Iterator[str]:
    register_secret(KEY)
    yield KEY
    forget_secrets()


def test_fragments_and_encodings_of_a_known_secret_are_redacted(known_key: str) -> None:
    b64 = base64.b64encode(known_key.encode()).decode()
    basic = base64.b64encode(f"user:{known_key}".encode()).decode()
    text = (
        f"whole {known_key}; cut {known_key[:9]}|{known_key[:23]}; tail {known_key[-8:]}; "
        f"middle {known_key[11:30]}; b64 {b64}; basic {basic}; url {quote(known_key)}; "
        f"bearer Bearer {known_key}."
    )
    cleaned = redact_known(text)
    assert leaks(cleaned) == [], cleaned
    assert cleaned.startswith("whole [redacted]; cut [redacted]|[redacted]; tail [redacted]")
    assert leaks(redact_known(known_key * 3)) == []
    assert redact_known("nothing secret here") == "nothing secret here"


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    try:
        assert redact_known("abcdef abc") == "abcdef abc"
    finally:
        forget_secrets()


def _config(server: CanaryServer) -> str:
    blocks = [
        f'[endpoints.{b}]\nurl = "{server.url(b)}"\nmodels = ["m"]\ntimeout_s = 3\n'
        for b in BEHAVIOURS
    ]
    return "\n".join(blocks)


def _workflow(behaviours: tuple[str, ...], on_error: str) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "q", "kind": "input"}]
    edges: list[dict[str, str]] = []
    for b in behaviours:
        nodes.append(
            {
                "id": f"ask_{b}",
                "kind": "llm",
                "config": {"inputs": ["q"], "prompt": "{{ q }}", "route": {"model": f"{b}/m"}},
                "policy": {"on_error": on_error},
            }
        )
        nodes.append({"id": f"out_{b}", "kind": "output"})
        edges.append({"source": "q.value", "target": f"ask_{b}.q"})
        edges.append({"source": f"ask_{b}.text", "target": f"out_{b}.value"})
    return {
        "version": 1,
        "metadata": {"name": "canary"},
        "inputs": [{"name": "q", "default": "say something"}],
        "nodes": nodes,
        "edges": edges,
    }


@pytest.mark.slow
def test_no_trace_of_the_canary_key_anywhere(tmp_path: Path) -> None:
    with canary_server() as server:
        (tmp_path / "config.toml").write_text(_config(server))
        env = cli_env(
            tmp_path,
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            **{env_var(b): KEY for b in BEHAVIOURS},
        )
        everything = tmp_path / "all.interlock.yaml"
        everything.write_text(yaml.safe_dump(_workflow(BEHAVIOURS, "continue")))
        failing = tmp_path / "fail.interlock.yaml"
        failing.write_text(yaml.safe_dump(_workflow(("echo401", "echo500"), "fail")))
        printed: list[Finished] = [
            interlock(env, "-v", "run", str(everything), timeout=180),
            interlock(env, "run", str(everything), "--json", "--no-cache", timeout=180),
            interlock(env, "run", str(failing), timeout=180),
        ]
        assert server.authorizations.count(f"Bearer {KEY}") >= 2 * len(BEHAVIOURS) - 2
    assert printed[0].code == 0, printed[0].text
    assert printed[2].code == 1, printed[2].text
    assert "[redacted]" in printed[0].out  # the reflected answer, redacted, was printed
    runs = interlock(env, "runs", "--json")
    run_ids = [r["run_id"] for r in __import__("json").loads(runs.out)]
    assert len(run_ids) == 3
    exports = tmp_path / "exports"
    exports.mkdir()
    for run_id in run_ids:
        printed.append(interlock(env, "show", run_id))
        printed.append(interlock(env, "show", run_id, "--json"))
        for fmt in ("html", "md", "json", "otlp"):
            out = exports / f"{run_id}.{fmt}"
            done = interlock(env, "report", run_id, "--format", fmt, "-o", str(out))
            assert done.code == 0, done.text
            printed.append(done)
    printed.append(interlock(env, "diff", run_ids[0], run_ids[1], "--format", "json"))
    printed.append(interlock(env, "audit", "verify"))

    for done in printed:
        assert leaks(done.out) == [], done.out
        assert leaks(done.err) == [], done.err
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".yaml"]
    assert any(p.name.endswith(".db") for p in files)
    for path in files:
        content = path.read_bytes().decode("latin-1")
        assert leaks(content) == [], path
    failures = "\n".join(d.err for d in printed[:3])
    for behaviour in FAILING:
        assert f"ask_{behaviour}" in failures


def test_cli_output_is_redacted_a_line_at_a_time(known_key: str) -> None:
    import io

    from engine.cli.redacted_output import RedactingStream

    raw = io.BytesIO()
    target = io.TextIOWrapper(raw, encoding="utf-8", errors="strict")
    stream = RedactingStream(target)
    for piece in ("answer: ", known_key[:5], known_key[5:20], known_key[20:], "\n", "caf\udce9"):
        stream.write(piece)
    stream.flush()
    text = raw.getvalue().decode("utf-8")
    assert text == "answer: [redacted]\ncaf\\udce9"
