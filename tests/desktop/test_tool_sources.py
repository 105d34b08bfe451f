"""The Tool sources page of the models dialog, driven like a user: register the real
`mcp-server-time` through the form (the engine's checks apply: absolute path, sha256, code
flags refused), test it (the server starts in a worker thread and lists its tools with
annotations), set a tool to ask (written where the engine reads it), remove it; an HTTP
server's auth header goes to the keyring, never to the config file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.dialogs.models_dialog import ModelsDialog
from desktop.dialogs.tool_sources_section import ToolSourcesWidget
from desktop.mcp_tools import McpToolCatalog
from engine.mcp import load_servers
from engine.mcp.manage import set_decision
from engine.mcp.source import McpToolSource
from local_models.catalog import ModelCatalog

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("INTERLOCK_CONFIG", str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.memory_keyring.MemoryKeyring")
    keyring.set_keyring(keyring.core.load_keyring("tests.support.memory_keyring.MemoryKeyring"))
    return path


@pytest.fixture
def page(
    qtbot: QtBot, qloop: Any, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ToolSourcesWidget:
    asked: list[str] = []
    monkeypatch.setattr(
        ToolSourcesWidget, "confirm_remove", lambda self, server: not asked.append(server.name)
    )
    dialog = ModelsDialog(catalog=ModelCatalog(tmp_path / "models"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentWidget(dialog.tool_sources)
    page = dialog.tool_sources
    page.dialog = dialog  # type: ignore[attr-defined]  # the test keeps the dialog alive
    return page


def add_stdio(qtbot: QtBot, page: ToolSourcesWidget, name: str, exe: str, args: str) -> None:
    page.transport.setCurrentIndex(0)
    page.name.setText(name)
    page.executable.setText(exe)
    page.arguments.setText(args)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.add_button.isEnabled(), timeout=15_000)


def row_of(page: ToolSourcesWidget, tool: str) -> int:
    return next(i for i, t in enumerate(page.tools) if t.tool == tool)


def test_add_test_set_and_remove_the_time_server(
    qtbot: QtBot, page: ToolSourcesWidget, config: Path
) -> None:
    assert page.table.rowCount() == 0
    add_stdio(qtbot, page, "time", str(BIN / "mcp-server-time"), "--local-timezone UTC")
    assert not page.form_error.isVisible(), page.form_error.text()
    server = load_servers()["time"]
    assert Path(server.command).is_absolute() and len(server.sha256) == 64
    assert server.args == ("--local-timezone", "UTC")
    assert page.table.rowCount() == 1 and page.table.item(0, 0).text() == "time"
    assert page.selected() == server and "sha256" in page.status.text()

    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert "listing" in page.tools_title.text()
    qtbot.waitUntil(lambda: page.tools_table.rowCount() == 2, timeout=30_000)
    shown = {page.tools_table.item(i, 0).text(): i for i in range(2)}
    assert set(shown) == {"get_current_time", "convert_time"}
    row = shown["get_current_time"]
    assert page.tools_table.item(row, 3).text() == "read"
    assert "readOnly=yes" in page.tools_table.item(row, 4).text()
    assert page.tools_table.item(row, 2).text() == "allow"  # annotated read-only
    assert page.status.text() == "time: ok, 2 tools"
    page.tools_table.selectRow(row)
    assert '"timezone"' in page.tool_detail.toPlainText()  # its input schema

    setting = page.tools_table.cellWidget(row, 1)
    setting.setCurrentIndex(setting.findData("ask"))
    setting.activated.emit(setting.currentIndex())
    qtbot.waitUntil(lambda: "get_current_time: ask" in page.status.text(), timeout=10_000)
    assert load_servers()["time"].decisions == {"get_current_time": "ask"}
    assert "get_current_time" in config.read_text()
    row = row_of(page, "get_current_time")
    assert page.tools_table.item(row, 2).text() == "ask"
    assert page.tools_table.cellWidget(row, 1).currentData() == "ask"
    # The engine's tool source reads the same setting.
    assert McpToolSource.from_config().servers["time"].decision_for("get_current_time") == "ask"

    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10_000)
    assert load_servers() == {}
    assert page.status.text().startswith("Removed time")


def test_refused_registrations_say_why_inline(qtbot: QtBot, page: ToolSourcesWidget) -> None:
    add_stdio(qtbot, page, "evil", sys.executable, "-c 'print(1)'")
    assert page.form_error.isVisible()
    assert "code flag" in page.form_error.text()
    add_stdio(qtbot, page, "Bad Name", str(BIN / "mcp-server-time"), "")
    assert "lowercase letter" in page.form_error.text()
    add_stdio(qtbot, page, "ghost", "no-such-mcp-server-here", "")
    assert "no executable 'no-such-mcp-server-here' on PATH" in page.form_error.text()
    assert load_servers() == {} and page.table.rowCount() == 0


def test_a_failing_server_test_shows_the_reason(
    qtbot: QtBot, page: ToolSourcesWidget, tmp_path: Path
) -> None:
    script = tmp_path / "quits"
    script.write_text("#!/bin/sh\necho 'cannot start: no config' >&2\nexit 3\n")
    script.chmod(0o755)
    add_stdio(qtbot, page, "quits", str(script), "")
    assert not page.form_error.isVisible(), page.form_error.text()
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "test failed" in page.status.text(), timeout=30_000)
    assert "cannot start: no config" in page.status.text()
    assert page.tools_table.rowCount() == 0


def test_an_http_server_keeps_its_header_in_the_keyring(
    qtbot: QtBot, page: ToolSourcesWidget, config: Path
) -> None:
    page.transport.setCurrentIndex(1)
    assert page.pages.currentIndex() == 1
    page.name.setText("search")
    page.url.setText("http://127.0.0.1:8931/mcp")
    page.auth_value.setText("Bearer sekret-token-123456")
    page.private_hosts.setText("127.0.0.1:8931")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    server = load_servers()["search"]
    assert server.auth and server.private_hosts == ("127.0.0.1:8931",)
    assert "sekret" not in config.read_text()
    assert keyring.get_password("interlock", "mcp:search") == "Bearer sekret-token-123456"
    assert page.auth_value.text() == ""
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10_000)
    assert keyring.get_password("interlock", "mcp:search") is None


def test_removing_asks_first(
    qtbot: QtBot, qloop: Any, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = ToolSourcesWidget(McpToolCatalog())
    qtbot.addWidget(page)
    add_stdio(qtbot, page, "time", str(BIN / "mcp-server-time"), "")
    answers = iter([False, True])
    monkeypatch.setattr(page, "confirm_remove", lambda server: next(answers))
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert "time" in load_servers()  # "No": nothing removed
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10_000)
    assert load_servers() == {}


def test_the_catalog_is_shared_with_the_picker(qtbot: QtBot, qloop: Any, config: Path) -> None:
    """A listing remembered for one registration survives a decision change (same tools)."""
    catalog = McpToolCatalog()
    page = ToolSourcesWidget(catalog)
    qtbot.addWidget(page)
    add_stdio(qtbot, page, "time", str(BIN / "mcp-server-time"), "")
    server = load_servers()["time"]
    catalog.list_tools(server)
    qtbot.waitUntil(lambda: catalog.probe(server) is not None, timeout=30_000)
    assert page.server_named("time") == server
    denied = set_decision("time", None, "deny")
    probe = catalog.probe(denied)
    assert probe is not None and {t.decision for t in probe.tools} == {"deny"}
