"""Attacks and failures against a real MCP server process (the test server): a replaced
executable, an environment of only what was registered, a server that hangs, crashes or
answers 50 MB, results cut to the scope's cap, and the user's allow/ask/deny settings."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from engine.cli.main import main
from tests.engine.mcp.conftest import Runner, add, tool_workflow

pytestmark = pytest.mark.slow


def register(fake_server: Path, *options: str) -> None:
    assert add("fake", *options, "--", str(fake_server)) == 0


def test_a_replaced_executable_is_refused(fake_server: Path, tmp_path: Path) -> None:
    register(fake_server)
    with fake_server.open("a") as fh:
        fh.write("\nimport os; os.system('touch pwned')\n")
    run = Runner(tmp_path)
    result = run(tool_workflow("mcp:fake/echo", {"text": "hi"}))
    assert result.status == "failed"
    assert "changed since it was registered" in (result.error or "")
    assert run.audit() == [("tool_call", "refused", "mcp:fake/echo")]
    assert not (tmp_path / "pwned").exists()


def test_the_server_gets_only_the_registered_environment(
    fake_server: Path, tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TOKEN", "s3cret-value-123")
    monkeypatch.setenv("INTERLOCK_KEY_MCP_FAKE_FAKE_TOKEN", "s3cret-value-123")  # no keyring
    register(fake_server, "--env", "MODE=test", "--secret-env", "FAKE_TOKEN")
    assert "s3cret" not in config.read_text()
    monkeypatch.setenv("LEAKY", "from-the-parent")
    run = Runner(tmp_path)
    names = ("MODE", "FAKE_TOKEN", "LEAKY", "HOME", "PATH")
    results = run.many(*(tool_workflow("mcp:fake/env", {"name": name}) for name in names))
    values = [r.outputs["out"]["text"] for r in results]
    assert values == ["test", "s3cret-value-123", "<unset>", "<unset>", "<unset>"]


def test_a_hanging_server_times_out_and_restarts(fake_server: Path, tmp_path: Path) -> None:
    register(fake_server)
    run = Runner(tmp_path)
    scopes = {"mcp:fake/hang": {"timeout_s": 2}}
    hung, after = run.many(
        tool_workflow("mcp:fake/hang", {}, tool_scopes=scopes),
        tool_workflow("mcp:fake/echo", {"text": "back"}, allowed_tools=["mcp:fake/*"]),
    )
    assert hung.status == "failed"
    assert "no answer within 2s" in (hung.error or "")
    failed = next(e for e in run.events if e.type == "tool_failed")
    assert failed.error_class == "timeout"  # type: ignore[attr-defined]
    assert after.status == "succeeded" and after.outputs["out"]["text"] == "back"


def test_a_crashing_server_fails_the_call_and_restarts(fake_server: Path, tmp_path: Path) -> None:
    register(fake_server)
    run = Runner(tmp_path)
    crashed, after = run.many(
        tool_workflow("mcp:fake/crash", {}),
        tool_workflow("mcp:fake/echo", {"text": "again"}),
    )
    assert crashed.status == "failed"
    assert "exited with status 3" in (crashed.error or "")
    assert after.status == "succeeded" and after.outputs["out"]["text"] == "again"


def test_a_50_mb_answer_is_refused_at_the_cap(fake_server: Path, tmp_path: Path) -> None:
    register(fake_server)
    run = Runner(tmp_path)
    huge, after = run.many(
        tool_workflow("mcp:fake/big", {"megabytes": 50}),
        tool_workflow("mcp:fake/echo", {"text": "small"}),
    )
    assert huge.status == "failed"
    assert "over the 16,000,000-byte cap" in (huge.error or "")
    assert after.status == "succeeded"


def test_a_large_result_is_truncated_and_says_so(fake_server: Path, tmp_path: Path) -> None:
    register(fake_server)
    run = Runner(tmp_path)
    result = run(tool_workflow("mcp:fake/big", {"megabytes": 2}))
    assert result.status == "succeeded", result.error
    out = result.outputs["out"]
    assert out["truncated"] is True and "cut to fit 1,000,000" in out["note"]
    assert len(out["text"]) <= 500_000


def test_unannotated_tools_ask_and_user_settings_win(
    fake_server: Path, tmp_path: Path, config: Path
) -> None:
    register(fake_server)
    wipe = tool_workflow("mcp:fake/wipe", {"target": "/tmp/x"})
    asking = Runner(tmp_path, decision="approve")
    assert asking(wipe).status == "succeeded"
    [record] = asking.asked
    assert "not annotated read-only" in (record.request.rule or "")
    called = next(e for e in asking.events if e.type == "tool_called")
    assert called.side_effect == "external"  # type: ignore[attr-defined]

    assert main(["mcp", "set", "fake", "wipe", "deny"]) == 0
    assert tomllib.loads(config.read_text())["mcp"]["fake"]["decisions"] == {"wipe": "deny"}
    denied = Runner(tmp_path)
    result = denied(wipe)
    assert result.status == "failed" and "calls are denied" in (result.error or "")
    assert not denied.asked

    assert main(["mcp", "set", "fake", "wipe", "allow"]) == 0
    allowed = Runner(tmp_path)
    assert allowed(wipe).status == "succeeded" and not allowed.asked

    assert main(["mcp", "set", "fake", "ask"]) == 0  # the whole server, echo included
    assert main(["mcp", "set", "fake", "wipe", "default"]) == 0
    strict = Runner(tmp_path, decision="reject")
    assert strict(tool_workflow("mcp:fake/echo", {"text": "x"})).status == "failed"
    assert len(strict.asked) == 1


def test_remove_forgets_the_server(fake_server: Path, tmp_path: Path) -> None:
    register(fake_server)
    assert main(["mcp", "remove", "fake"]) == 0
    result = Runner(tmp_path)(tool_workflow("mcp:fake/echo", {"text": "x"}))
    assert result.status == "failed" and "there is no tool" in (result.error or "")
    assert os.environ.get("INTERLOCK_CONFIG")
