"""Tool sources in the models dialog: the registered MCP servers; add one (stdio executable
with fixed arguments and environment names, or an HTTP URL with an auth header kept in the
OS keyring) through the engine's checked registration, test it (its tools and annotations,
listed in a worker thread), set allow/ask/deny per tool, remove it."""

from __future__ import annotations

import json
import shlex
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import file_dialogs
from desktop.mcp_tools import McpToolCatalog, mcp_catalog
from desktop.run.ops import EngineOp, OpChanges
from desktop.run.qt import named
from engine.mcp import McpServer
from engine.mcp.manage import (
    Probe,
    ToolInfo,
    http_registration,
    register,
    set_decision,
    stdio_registration,
    unregister,
)

SERVER_HEADERS = ["Name", "Transport", "Command or URL", "Tools"]
TOOL_HEADERS = ["Tool", "Setting", "Decision", "Effect", "Annotations"]
SETTING_COLUMN, DECISION_COLUMN = 1, 2
SETTINGS = ("default", "allow", "ask", "deny")
ERROR_STYLE = "color: #e0413a;"


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", " ").split() if part.strip()]


def server_where(server: McpServer) -> str:
    if server.transport == "http":
        return server.url
    return " ".join([server.command, *(shlex.quote(a) for a in server.args)])


class ToolSourcesWidget(QWidget):
    def __init__(
        self, catalog: McpToolCatalog | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.catalog = catalog or mcp_catalog()
        self.servers: list[McpServer] = []
        self.tools: list[ToolInfo] = []
        self._testing: str | None = None
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        layout.addWidget(split, 1)
        split.addWidget(self._left())
        split.addWidget(self._right())
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        row = QHBoxLayout()
        self.status = named(QLabel(wordWrap=True), "mcp_status")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        self.catalog.changed.connect(self._show_tools)
        self.refresh()

    # -- building --------------------------------------------------------------------------

    def _left(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>MCP servers</b> (registered for your user)"))
        self.table = named(QTableWidget(0, len(SERVER_HEADERS)), "mcp_servers")
        self.table.setHorizontalHeaderLabels(SERVER_HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._show_tools)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.test_button = named(QPushButton("Test"), "mcp_test")
        self.test_button.setToolTip("Start or connect to the server and list its tools")
        self.remove_button = named(QPushButton("Remove"), "mcp_remove")
        self.remove_button.setToolTip("Forget the server and its keyring secrets")
        self.test_button.clicked.connect(self.test_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)
        layout.addWidget(self._add_form())
        return box

    def _add_form(self) -> QGroupBox:
        box = QGroupBox("Add a server")
        form = QFormLayout(box)
        self.name = named(QLineEdit(placeholderText="e.g. time (lowercase)"), "mcp_name")
        self.transport = named(QComboBox(), "mcp_transport")
        self.transport.addItem("stdio: a program Interlock starts", "stdio")
        self.transport.addItem("HTTP: a streamable-HTTP URL", "http")
        form.addRow("Name", self.name)
        form.addRow("Transport", self.transport)
        self.pages = QStackedWidget()
        stdio = QWidget()
        stdio_form = QFormLayout(stdio)
        stdio_form.setContentsMargins(0, 0, 0, 0)
        self.executable = named(
            QLineEdit(placeholderText="/path/to/mcp-server (or a name on PATH)"), "mcp_executable"
        )
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        pick = QHBoxLayout()
        pick.addWidget(self.executable, 1)
        pick.addWidget(browse)
        stdio_form.addRow("Executable", pick)
        self.arguments = named(
            QLineEdit(placeholderText="--local-timezone UTC (fixed; no shell)"), "mcp_args"
        )
        stdio_form.addRow("Arguments", self.arguments)
        self.pass_env = named(
            QLineEdit(placeholderText="PATH (values recorded now)"), "mcp_pass_env"
        )
        stdio_form.addRow("Environment", self.pass_env)
        self.secret_env = named(
            QLineEdit(placeholderText="API_TOKEN (read now, kept in the OS keyring)"),
            "mcp_secret_env",
        )
        stdio_form.addRow("Secret variables", self.secret_env)
        http = QWidget()
        http_form = QFormLayout(http)
        http_form.setContentsMargins(0, 0, 0, 0)
        self.url = named(QLineEdit(placeholderText="https://host/mcp"), "mcp_url")
        http_form.addRow("URL", self.url)
        self.auth_header = named(QLineEdit("Authorization"), "mcp_auth_header")
        http_form.addRow("Auth header", self.auth_header)
        self.auth_value = named(QLineEdit(), "mcp_auth_value")
        self.auth_value.setEchoMode(QLineEdit.EchoMode.Password)
        self.auth_value.setPlaceholderText("e.g. Bearer … (kept in the OS keyring; optional)")
        http_form.addRow("Header value", self.auth_value)
        self.private_hosts = named(
            QLineEdit(placeholderText="127.0.0.1:8931 (only to allow a private address)"),
            "mcp_private_hosts",
        )
        http_form.addRow("Private hosts", self.private_hosts)
        self.pages.addWidget(stdio)
        self.pages.addWidget(http)
        form.addRow(self.pages)
        self.transport.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.add_button = named(QPushButton("Add server"), "mcp_add")
        self.add_button.clicked.connect(self.add_server)
        self.form_error = named(QLabel(wordWrap=True), "mcp_form_error")
        self.form_error.setStyleSheet(ERROR_STYLE)
        self.form_error.setVisible(False)
        form.addRow(self.form_error)
        form.addRow(self.add_button)
        return box

    def _right(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tools_title = named(QLabel("<b>Tools</b>"), "mcp_tools_title")
        self.tools_title.setWordWrap(True)
        layout.addWidget(self.tools_title)
        self.tools_table = named(QTableWidget(0, len(TOOL_HEADERS)), "mcp_tools")
        self.tools_table.setHorizontalHeaderLabels(TOOL_HEADERS)
        self.tools_table.verticalHeader().setVisible(False)
        self.tools_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tools_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tools_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.tools_table.horizontalHeader()
        for column in range(len(TOOL_HEADERS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(TOOL_HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.tools_table.setWordWrap(True)
        decision_header = QTableWidgetItem(TOOL_HEADERS[DECISION_COLUMN])
        decision_header.setToolTip(
            "What a call does now: allow runs it, ask waits for a person's approval, deny "
            "refuses it"
        )
        self.tools_table.setHorizontalHeaderItem(DECISION_COLUMN, decision_header)
        self.tools_table.itemSelectionChanged.connect(self._show_tool)
        layout.addWidget(self.tools_table, 2)
        self.tool_detail = named(QPlainTextEdit(), "mcp_tool_detail")
        self.tool_detail.setReadOnly(True)
        self.tool_detail.setPlaceholderText("Select a tool to see its description and input schema")
        layout.addWidget(self.tool_detail, 1)
        return box

    # -- showing ---------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        """Read the registrations again (a small file) and show them."""
        chosen = self.selected()
        current = select or (chosen.name if chosen else None)
        self.servers = list(self.catalog.servers().values())
        blocked = self.table.blockSignals(True)
        self.table.setRowCount(len(self.servers))
        for i, server in enumerate(self.servers):
            setting: str = server.decision or "by annotations"
            if server.decisions:
                setting += f", {len(server.decisions)} set per tool"
            cells = [server.name, server.transport, server_where(server), setting]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, j, item)
            if server.name == current:
                self.table.selectRow(i)
        self.table.blockSignals(blocked)
        self.table.resizeColumnToContents(0)
        if not self.servers:
            self.status.setText("No MCP servers yet: add one below.")
        self._show_tools()

    def selected(self) -> McpServer | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.servers[rows[0].row()] if rows and rows[0].row() < len(self.servers) else None

    def server_named(self, name: str) -> McpServer | None:
        return next((s for s in self.servers if s.name == name), None)

    def select_server(self, name: str) -> None:
        for i, server in enumerate(self.servers):
            if server.name == name:
                self.table.selectRow(i)

    def _show_tools(self) -> None:
        server = self.selected()
        probe = self.catalog.probe(server) if server else None
        self.tools = list(probe.tools) if probe else []
        self.tools_table.setRowCount(len(self.tools))
        if server is None:
            self.tools_title.setText("<b>Tools</b> — select a server")
        elif probe is not None:
            self.tools_title.setText(_probe_title(probe))
        elif self.catalog.listing(server):
            self.tools_title.setText(f"<b>Tools of {server.name}</b> — listing…")
        elif self.catalog.error(server) is not None:
            self.tools_title.setText(f"<b>Tools of {server.name}</b> — test failed (see below)")
        else:
            self.tools_title.setText(
                f"<b>Tools of {server.name}</b> — press Test to start it and list them"
            )
        if server is not None and server.name == self._testing and not self.catalog.listing(server):
            self._testing = None
            error = self.catalog.error(server)
            if error is not None:
                self._say(f"{server.name}: test failed — {error}", error=True)
            elif probe is not None:
                self._say(f"{server.name}: ok, {len(probe.tools)} tools")
        for i, tool in enumerate(self.tools):
            cells = [tool.tool, "", tool.decision, tool.side_effect, tool.hints()]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{tool.decision}: {tool.why}" if j == DECISION_COLUMN else text)
                self.tools_table.setItem(i, j, item)
            self.tools_table.setCellWidget(i, SETTING_COLUMN, self._setting_box(server, tool))
        self.tools_table.resizeRowsToContents()
        self._show_tool()

    def _setting_box(self, server: McpServer | None, tool: ToolInfo) -> QComboBox:
        box = named(QComboBox(), f"mcp_setting_{tool.tool}")
        for setting in SETTINGS:
            box.addItem(setting, None if setting == "default" else setting)
        chosen = server.decisions.get(tool.tool) if server else None
        box.setCurrentIndex(SETTINGS.index(chosen) if chosen else 0)
        box.setToolTip(
            "default: the server's setting, else the annotations (read-only tools are "
            "allowed, others ask)"
        )
        box.activated.connect(lambda _i, b=box, t=tool.tool: self.set_tool(t, b.currentData()))
        return box

    def _show_tool(self) -> None:
        rows = self.tools_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.tools):
            self.tool_detail.clear()
            return
        tool = self.tools[rows[0].row()]
        text = (
            f"{tool.name}\n{tool.decision}: {tool.why}\nannotations: {tool.hints()}\n\n"
            f"{tool.description}\n\ninput schema:\n{json.dumps(tool.input_schema, indent=2)}"
        )
        self.tool_detail.setPlainText(text)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    # -- acting ----------------------------------------------------------------------------

    def _browse(self) -> None:
        path, _ = file_dialogs.open_file_name(self, "MCP server executable", "", "")
        if path:
            self.executable.setText(path)

    def _form_failed(self, text: str) -> None:
        self.form_error.setText(text)
        self.form_error.setVisible(True)
        self.add_button.setEnabled(True)
        self._say("")

    def add_server(self) -> None:
        """Register the server in the form (checked and hashed in a worker thread)."""
        name = self.name.text().strip()
        http = self.transport.currentData() == "http"
        try:
            arguments = shlex.split(self.arguments.text())
        except ValueError as exc:
            self._form_failed(f"Arguments: {exc}")
            return
        command = [self.executable.text().strip(), *arguments]
        pass_env, secret_env = _names(self.pass_env.text()), _names(self.secret_env.text())
        url, header = self.url.text().strip(), self.auth_header.text()
        value, hosts = self.auth_value.text(), _names(self.private_hosts.text())
        self.auth_value.clear()

        def work() -> tuple[McpServer, list[str]]:
            if http:
                made = http_registration(
                    name, url, auth_value=value or None, auth_header=header, private_hosts=hosts
                )
            else:
                made = stdio_registration(name, command, pass_env=pass_env, secret_env=secret_env)
            return made.server, register(made)

        self.form_error.setVisible(False)
        self.add_button.setEnabled(False)
        self._say(f"Checking {name or 'the server'}…")
        op = EngineOp.threaded(work, OpChanges())
        op.success(lambda done: self._added(*done))
        op.failure(lambda exc: self._form_failed(str(exc)))
        op.run()

    def _added(self, server: McpServer, notes: list[str]) -> None:
        self.add_button.setEnabled(True)
        for field in (self.name, self.executable, self.arguments, self.url, self.private_hosts):
            field.clear()
        kept = f"; secrets: {', '.join(notes)}" if notes else ""
        detail = f"sha256 {server.sha256[:12]}…" if server.transport == "stdio" else server.url
        self._say(
            f"Added {server.name} ({detail}{kept}). Grant its tools in a workflow as "
            f"mcp:{server.name}/TOOL; press Test to list them."
        )
        self.catalog.changed.emit()
        self.refresh(select=server.name)

    def test_selected(self) -> None:
        server = self.selected()
        if server is None:
            self._say("Select a server to test.", error=True)
            return
        self._say(f"Testing {server.name}: starting it and listing its tools…")
        self._testing = server.name
        self.catalog.list_tools(server)
        self._show_tools()

    def set_tool(self, tool: str, decision: Any) -> None:
        server = self.selected()
        if server is None:
            return
        name = server.name
        op = EngineOp.threaded(lambda: set_decision(name, tool, decision), OpChanges())
        op.success(lambda s: self._decided(s, tool, decision))
        op.failure(lambda exc: self._say(str(exc), error=True))
        op.run()

    def _decided(self, server: McpServer, tool: str, decision: Any) -> None:
        self._say(f"{server.name}/{tool}: {decision or 'default'}")
        self.refresh(select=server.name)
        self.catalog.changed.emit()

    def confirm_remove(self, server: McpServer) -> bool:
        answer = QMessageBox.question(
            self,
            "Remove MCP server",
            f"Remove {server.name}? Workflows that grant mcp:{server.name}/… tools will be "
            "refused those tools, and its keyring secrets are deleted.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def remove_selected(self) -> None:
        server = self.selected()
        if server is None:
            self._say("Select a server to remove.", error=True)
            return
        if not self.confirm_remove(server):
            return
        name = server.name
        op = EngineOp.threaded(lambda: unregister(name), OpChanges())
        op.success(lambda s: self._removed(s))
        op.failure(lambda exc: self._say(str(exc), error=True))
        op.run()

    def _removed(self, server: McpServer) -> None:
        self.catalog.forget(server)
        self.refresh()
        self._say(f"Removed {server.name} and its secrets.")


def _probe_title(probe: Probe) -> str:
    return (
        f"<b>Tools of {probe.server}</b> — {probe.server_name} {probe.server_version}, "
        f"{len(probe.tools)} tools, started in {probe.seconds:.2f} s"
    )
