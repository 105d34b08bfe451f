"""What a cluster worker runs: one map item (a node template or a child workflow) with the
worker's own registry, local models (found by checksum, loaded once per process), the
remote endpoints the coordinator passed with the item (each with its key, for that item
only: never stored here) and an in-memory store, handing back the result and everything
the item emitted. No Ray here."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import NodeError, RunError
from engine.nodes import builtin_registry
from engine.nodes.base import NodeContext, NodeResult
from engine.providers.base import ProviderRegistry
from engine.providers.local import DEFAULT_LOCAL_MODEL, LocalProvider
from engine.providers.remote.endpoint import Endpoint
from engine.runtime.engine import Engine, RunResult
from engine.sandbox import sandbox_scope
from engine.store.memory import MemoryRunStore
from engine.store.protocol import WorkflowVersion
from engine.trace.events import RunEvent
from engine.workflow.model import Workflow, WorkflowPolicy
from local_models import ModelCatalog

if TYPE_CHECKING:
    from engine.providers.remote.provider import RemoteProvider

Call = tuple[Any, ...]
"""What a template item did through its context, in order: ("log", level, message),
("token", text) or ("event", event class, fields)."""


@dataclass(frozen=True)
class EndpointCall:
    """A remote endpoint an item calls, as the coordinator has it configured, with the key
    from the coordinator's keyring for this item only."""

    name: str
    config: dict[str, Any]
    """`Endpoint.to_config()`: URL, models, prices, limits; no key."""
    api_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TemplateItem:
    """One node run on one item's inputs, as the coordinator's map node would run it."""

    kind: str
    config: dict[str, Any]
    inputs: dict[str, Any]
    run_id: str
    node_id: str
    attempt: int
    depth: int
    policy: WorkflowPolicy
    run_inputs: dict[str, Any]
    models: dict[str, str]
    endpoints: tuple[EndpointCall, ...] = ()


@dataclass(frozen=True)
class WorkflowItem:
    """One child run of a map item, with the id the coordinator gave it."""

    child: Workflow
    child_dir: str | None
    inputs: dict[str, Any]
    run_id: str
    parent_run_id: str | None
    """None: a top-level run (a batch or evaluation row), not a map item."""
    depth: int
    offline: bool
    models: dict[str, str]
    endpoints: tuple[EndpointCall, ...] = ()


@dataclass
class ItemReply:
    """An item's outcome on a worker. `error_class` "refused": the worker cannot run it."""

    worker: str
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_class: str = "error"
    model: str | None = None
    provider: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: list[Call] = field(default_factory=list)
    status: str = "succeeded"
    events: list[RunEvent] = field(default_factory=list)
    """A workflow item's child run and its descendants, every event, in order per run."""
    workflows: list[WorkflowVersion] = field(default_factory=list)
    run: RunResult | None = None
    """A workflow item's whole result (node states, output states, duration)."""


class ItemWorker:
    """Runs items in one worker process; the local models stay loaded between items."""

    def __init__(self, name: str | None = None, data_dir: str | None = None) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.catalog = ModelCatalog(Path(data_dir) if data_dir else None)
        self.provider = LocalProvider(self.catalog)
        self.providers = ProviderRegistry([self.provider], default_model=DEFAULT_LOCAL_MODEL)
        self.registry = builtin_registry()

    def missing(self, models: dict[str, str]) -> str | None:
        """Which needed models this worker lacks (id and checksum), or None."""
        lacking = []
        for model_id, sha in sorted(models.items()):
            if self.catalog.checksum(model_id) != sha:
                lacking.append(f"{model_id!r} (sha256 {sha[:12]})")
                continue
            try:
                self.catalog.get(model_id)
            except Exception as exc:
                lacking.append(f"{model_id!r} ({exc})")
        if not lacking:
            return None
        return (
            f"worker {self.name} has no local model {', '.join(lacking)}; "
            "import it there with `interlock models import`"
        )

    def providers_for(
        self, endpoints: tuple[EndpointCall, ...]
    ) -> tuple[ProviderRegistry, list[RemoteProvider]]:
        """The worker's local models plus the item's remote endpoints with their keys, and
        those remote providers (closed when the item ends)."""
        if not endpoints:
            return self.providers, []
        from engine.providers.remote.provider import RemoteProvider

        providers = ProviderRegistry([self.provider], default_model=DEFAULT_LOCAL_MODEL)
        remote = [
            RemoteProvider(Endpoint.from_config(call.name, call.config), call.api_key)
            for call in endpoints
        ]
        for provider in remote:
            providers.add(provider)
        return providers, remote

    async def run_template(self, item: TemplateItem) -> ItemReply:
        providers, remote = self.providers_for(item.endpoints)
        try:
            return await self._run_template(item, providers)
        finally:
            for provider in remote:  # the HTTP clients, and with them the keys
                await provider.aclose()

    async def run_workflow(self, item: WorkflowItem) -> ItemReply:
        providers, remote = self.providers_for(item.endpoints)
        try:
            return await self._run_workflow(item, providers)
        finally:
            for provider in remote:
                await provider.aclose()

    async def _run_template(self, item: TemplateItem, providers: ProviderRegistry) -> ItemReply:
        reply = ItemReply(self.name)
        if (why := self.missing(item.models)) is not None:
            reply.error, reply.error_class = why, "refused"
            return reply
        calls = reply.calls
        ctx = NodeContext(
            run_id=item.run_id,
            node_id=item.node_id,
            attempt=item.attempt,
            providers=providers,
            registry=self.registry,
            base_dir=None,
            emit_token=lambda text: calls.append(("token", text)),
            log=lambda level, message: calls.append(("log", level, message)),
            run_child=_no_child,
            depth=item.depth,
            run_inputs=item.run_inputs,
            policy=item.policy,
            emit=lambda cls, fields: calls.append(("event", cls, fields)),
        )
        kind = self.registry.get(item.kind)
        limits = item.policy.templates
        try:
            if kind is None:
                raise NodeError(
                    f"unknown node kind {item.kind!r} on {self.name}", error_class="config"
                )
            config = kind.parse_config(item.config)
            with sandbox_scope(max_chars=limits.max_chars, max_seconds=limits.max_seconds):
                result: NodeResult = await kind.run(ctx, config, item.inputs)
        except NodeError as exc:
            reply.error, reply.error_class = str(exc), exc.error_class
            return reply
        except ValueError as exc:
            reply.error, reply.error_class = f"map template config: {exc}", "config"
            return reply
        except Exception as exc:  # a bug in a kind: reported like the runtime reports it
            reply.error = f"{type(exc).__name__}: {exc}"
            return reply
        reply.outputs = result.outputs
        reply.model, reply.provider = result.model, result.provider
        reply.prompt_tokens, reply.completion_tokens = (
            result.prompt_tokens,
            result.completion_tokens,
        )
        reply.cost_usd = result.cost_usd
        return reply

    async def _run_workflow(self, item: WorkflowItem, providers: ProviderRegistry) -> ItemReply:
        reply = ItemReply(self.name)
        if (why := self.missing(item.models)) is not None:
            reply.error, reply.error_class = why, "refused"
            return reply
        store = MemoryRunStore()
        engine = Engine(self.registry, providers, store, use_cache=False)
        try:
            result = await engine.run(
                item.child,
                item.inputs,
                base_dir=Path(item.child_dir) if item.child_dir else None,
                parent_run_id=item.parent_run_id,
                depth=item.depth,
                run_id=item.run_id,
                offline=item.offline,
            )
        except RunError as exc:  # the item does not fit the child's inputs
            reply.error, reply.error_class = str(exc), "validation"
            return reply
        reply.run = result
        reply.status, reply.outputs, reply.error = result.status, result.outputs, result.error
        reply.prompt_tokens, reply.completion_tokens = (
            result.prompt_tokens,
            result.completion_tokens,
        )
        reply.cost_usd = result.cost_usd
        pending = [item.run_id]
        while pending:
            run_id = pending.pop(0)
            reply.events.extend(store.events(run_id))
            record = store.get_run(run_id)
            if record is not None and (version := store.get_workflow(record.workflow_hash)):
                reply.workflows.append(version)
            pending.extend(child.run_id for child in store.child_runs(run_id))
        store.close()
        return reply


async def _no_child(
    child: Workflow, inputs: dict[str, Any], base_dir: Path | None, label: str
) -> Any:
    raise NodeError("a map template on a worker cannot run child workflows", error_class="config")
