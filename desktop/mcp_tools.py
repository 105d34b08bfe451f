"""The MCP tools the app knows: the registered servers and the last listing of each (by its
registration's fingerprint), filled when a server is tested on the Tool sources page or
listed for the tool picker. Listing starts the server, so it runs in a worker thread."""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QObject, Signal

from desktop.run.ops import EngineOp, OpChanges
from engine.config import ConfigError
from engine.mcp import McpServer, load_servers
from engine.mcp.manage import Probe, probe_blocking
from engine.providers.remote import offline_switch

log = logging.getLogger(__name__)


class McpToolCatalog(QObject):
    """`changed` fires when a listing arrives or fails, or the registrations change."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._probes: dict[str, Probe] = {}
        self._errors: dict[str, str] = {}
        self._pending: set[str] = set()

    @staticmethod
    def servers() -> dict[str, McpServer]:
        """The registrations (a small config file read); {} when it cannot be read."""
        try:
            return load_servers()
        except ConfigError as exc:
            log.warning("MCP registrations unreadable: %s", exc)
            return {}

    def probe(self, server: McpServer) -> Probe | None:
        """The last listing, governed by `server`'s current settings."""
        found = self._probes.get(_key(server))
        return found.regoverned(server) if found is not None else None

    def error(self, server: McpServer) -> str | None:
        return self._errors.get(_key(server))

    def listing(self, server: McpServer) -> bool:
        """Whether a listing of this registration is under way."""
        return _key(server) in self._pending

    def remember(self, server: McpServer, probe: Probe) -> None:
        key = _key(server)
        self._probes[key] = probe
        self._errors.pop(key, None)
        self.changed.emit()

    def forget(self, server: McpServer) -> None:
        key = _key(server)
        self._probes.pop(key, None)
        self._errors.pop(key, None)
        self.changed.emit()

    def fail(self, server: McpServer, message: str) -> None:
        self._errors[_key(server)] = message
        self.changed.emit()

    def list_tools(self, server: McpServer) -> None:
        """Start the server in a worker thread and remember its tools (once at a time)."""
        key = _key(server)
        if key in self._pending:
            return
        self._pending.add(key)
        offline = offline_switch()

        def listed(probe: Probe) -> None:
            self._pending.discard(key)
            self.remember(server, probe)

        def failed(exc: BaseException) -> None:
            self._pending.discard(key)
            self.fail(server, str(exc))

        op = EngineOp.threaded(lambda: probe_blocking(server, offline=offline), OpChanges())
        op.success(listed).failure(failed).run()


def _key(server: McpServer) -> str:
    """The registration without its allow/ask/deny settings (a setting changes how a tool
    is governed, not which tools the server lists)."""
    what = {k: v for k, v in server.to_config().items() if k not in ("decision", "decisions")}
    return f"{server.name}:{json.dumps(what, sort_keys=True)}"


_catalog: McpToolCatalog | None = None


def mcp_catalog() -> McpToolCatalog:
    """The app's one catalog (made on first use, on the GUI thread)."""
    global _catalog
    if _catalog is None:
        _catalog = McpToolCatalog()
    return _catalog
