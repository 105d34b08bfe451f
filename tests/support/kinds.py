"""Test-only node kinds for fault injection: a real part cannot fail on demand.

Loaded by the CLI in subprocess tests through INTERLOCK_NODE_KIND_MODULES=tests.support.kinds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import Field

from engine.errors import NodeError
from engine.nodes.base import KindConfig, NodeContext, NodeKind, NodeRegistry, NodeResult, PortSpec


class SleepConfig(KindConfig):
    seconds: float = 0.0
    inputs: list[str] = Field(default_factory=lambda: ["in"])
    value: Any = None


class SleepKind(NodeKind[SleepConfig]):
    """Waits, then passes on its inputs (or `value`)."""

    name = "test_sleep"
    description = "test: wait then pass inputs on"
    config_model = SleepConfig
    cacheable = False

    def input_ports(self, config: SleepConfig) -> list[PortSpec]:
        return [PortSpec(n) for n in config.inputs]

    def output_ports(self, config: SleepConfig) -> list[PortSpec]:
        return [PortSpec("out")]

    async def run(
        self, ctx: NodeContext, config: SleepConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        await asyncio.sleep(config.seconds)
        value = config.value if config.value is not None else dict(inputs)
        return NodeResult({"out": value})


class FlakyConfig(KindConfig):
    fail_times: int = 1
    error_class: str = "transient"
    counter_file: str = Field(description="File counting attempts across processes.")
    inputs: list[str] = Field(default_factory=lambda: ["in"])
    value: Any = "ok"


class FlakyKind(NodeKind[FlakyConfig]):
    """Fails its first `fail_times` attempts (counted in a file), then succeeds."""

    name = "test_flaky"
    description = "test: fail N times then succeed"
    config_model = FlakyConfig
    cacheable = False

    def input_ports(self, config: FlakyConfig) -> list[PortSpec]:
        return [PortSpec(n) for n in config.inputs]

    def output_ports(self, config: FlakyConfig) -> list[PortSpec]:
        return [PortSpec("out")]

    async def run(
        self, ctx: NodeContext, config: FlakyConfig, inputs: dict[str, Any]
    ) -> NodeResult:
        path = Path(config.counter_file)
        count = int(path.read_text()) if path.exists() else 0
        path.write_text(str(count + 1))
        if count < config.fail_times:
            raise NodeError(f"injected failure {count + 1}", error_class=config.error_class)
        return NodeResult({"out": config.value})


class CountKind(FlakyKind):
    """A pure computation as far as the engine knows (cacheable), counting its runs in a
    file so tests see whether a result was computed or reused."""

    name = "test_count"
    description = "test: count runs (cacheable)"
    cacheable = True


class PostConfig(KindConfig):
    url: str
    inputs: list[str] = Field(default_factory=lambda: ["in"])


class PostKind(NodeKind[PostConfig]):
    """POSTs its inputs as JSON to a URL (a canary receiver in tests)."""

    name = "test_post"
    description = "test: POST inputs to a URL"
    config_model = PostConfig
    cacheable = False

    def input_ports(self, config: PostConfig) -> list[PortSpec]:
        return [PortSpec(n) for n in config.inputs]

    def output_ports(self, config: PostConfig) -> list[PortSpec]:
        return [PortSpec("status")]

    async def run(self, ctx: NodeContext, config: PostConfig, inputs: dict[str, Any]) -> NodeResult:
        import httpx

        async with httpx.AsyncClient() as client:
            response = await client.post(config.url, json=inputs)
        return NodeResult({"status": response.status_code})


def register(registry: NodeRegistry) -> None:
    registry.register(SleepKind())
    registry.register(FlakyKind())
    registry.register(CountKind())
    registry.register(PostKind())


def make_registry() -> NodeRegistry:
    from engine.nodes import builtin_registry

    registry = builtin_registry()
    register(registry)
    return registry
