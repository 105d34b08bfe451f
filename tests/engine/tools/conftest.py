"""Fixtures for the tool tests: real listeners, a node context whose audit trail is a real
store, and a helper that calls a tool through the governed gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.nodes.base import NodeContext, NodeRegistry
from engine.nodes.toolbox import builtin_tools
from engine.providers.base import ProviderRegistry
from engine.store.memory import MemoryRunStore
from engine.tools.gateway import CallOutcome, ToolGateway
from engine.trace.events import RunEvent
from engine.workflow.model import WorkflowPolicy
from tests.engine.tools.servers import Listener, listener

ATTACKS = Path(__file__).resolve().parents[2] / "data" / "attacks"


@pytest.fixture(scope="session")
def _canary() -> Iterator[Listener]:
    with listener(body=b"CANARY-SECRET") as state:
        yield state


@pytest.fixture(scope="session")
def _redirector() -> Iterator[Listener]:
    with listener(redirect=True, body=b"redirector") as state:
        yield state


@pytest.fixture
def canary(_canary: Listener) -> Listener:
    """A listener on every local address; counts start at zero for each test."""
    _canary.reset()
    return _canary


@pytest.fixture
def redirector(_redirector: Listener) -> Listener:
    _redirector.reset()
    return _redirector


class Harness:
    """A NodeContext with a memory store behind its audit trail and a list of its events."""

    def __init__(self, base_dir: Path, policy: dict[str, Any], approve: Any = None) -> None:
        self.store = MemoryRunStore()
        self.events: list[tuple[type[RunEvent], dict[str, Any]]] = []
        self.ctx = NodeContext(
            run_id="run1",
            node_id="n1",
            attempt=1,
            providers=ProviderRegistry(),
            registry=NodeRegistry(),
            base_dir=base_dir,
            emit_token=lambda text: None,
            log=lambda level, message: None,
            run_child=_no_child,
            policy=WorkflowPolicy.model_validate(policy),
            emit=lambda cls, fields: self.events.append((cls, fields)),
            audit=self.store.append_audit,
        )
        if approve is not None:
            self.ctx.request_approval = approve

    def call(self, tool: str, arguments: Any, scopes: dict[str, Any] | None = None) -> CallOutcome:
        gateway = ToolGateway(self.ctx, builtin_tools(), scopes=scopes)
        return asyncio.run(gateway.call(tool, arguments))

    def types(self) -> list[str]:
        return [cls.type for cls, _ in self.events]


async def _no_child(*args: Any) -> Any:
    raise AssertionError("no child runs here")


def grant(tool: str, scope: dict[str, Any], **policy: Any) -> dict[str, Any]:
    return {"allowed_tools": [tool], "tool_scopes": {tool: scope}, **policy}


def corpus(name: str) -> list[str]:
    """Non-empty, non-comment lines; \\xNN and \\uNNNN escapes decoded."""
    import re

    lines = []
    for raw in (ATTACKS / name).read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        lines.append(
            re.sub(
                r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})",
                lambda m: chr(int(m.group(1) or m.group(2), 16)),
                raw,
            )
        )
    return lines
