"""MCP overhead: what Interlock adds to a call of a stdio MCP server over a direct call
through the SDK to the same server (goal: at most 2 ms added at the median), and what it
adds to starting one (checksum, launch checks, our launcher).

Both sides talk to mcp-server-time, each over its own session, in one process and one
event loop; the governed side is the whole tool-gateway path (grant, schema check,
decision, events, audit entries into a memory store, result conversion).

    .venv/bin/python bench/mcp_overhead.py [--calls 300] [--starts 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

from engine.mcp.connection import Sessions  # noqa: E402
from engine.mcp.launch import file_sha256  # noqa: E402
from engine.mcp.registration import McpServer  # noqa: E402
from engine.mcp.source import McpToolSource  # noqa: E402
from engine.nodes.base import NodeContext, NodeRegistry  # noqa: E402
from engine.providers.base import ProviderRegistry  # noqa: E402
from engine.store.memory import MemoryRunStore  # noqa: E402
from engine.tools.gateway import ToolGateway  # noqa: E402
from engine.tools.registry import ToolRegistry  # noqa: E402
from engine.workflow.model import WorkflowPolicy  # noqa: E402

SERVER = Path(sys.executable).parent / "mcp-server-time"
ARGS = ["--local-timezone", "UTC"]
TOOL, ARGUMENTS = "get_current_time", {"timezone": "Europe/Paris"}


def registration() -> McpServer:
    return McpServer(
        "time", "stdio", command=str(SERVER), sha256=file_sha256(str(SERVER)), args=tuple(ARGS)
    )


def context() -> NodeContext:
    store = MemoryRunStore()

    async def no_child(*args: Any) -> Any:
        raise AssertionError("no child runs")

    return NodeContext(
        run_id="bench",
        node_id="call",
        attempt=1,
        providers=ProviderRegistry(),
        registry=NodeRegistry(),
        base_dir=Path.cwd(),
        emit_token=lambda text: None,
        log=lambda level, message: None,
        run_child=no_child,
        policy=WorkflowPolicy.model_validate({"allowed_tools": ["mcp:time/*"]}),
        emit=lambda cls, fields: None,
        audit=store.append_audit,
    )


async def timed(call: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        out.append(time.perf_counter() - started)
    return out


async def calls(n: int, rounds: int) -> tuple[list[float], list[float]]:
    params = StdioServerParameters(command=str(SERVER), args=ARGS, env={})
    tools = ToolRegistry(sources=[McpToolSource({"time": registration()})])
    gateway = ToolGateway(context(), tools)
    direct: list[float] = []
    governed: list[float] = []
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(params, errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await session.list_tools()

            async def sdk() -> None:
                await session.call_tool(TOOL, ARGUMENTS)

            async def ours() -> None:
                outcome = await gateway.call(f"mcp:time/{TOOL}", ARGUMENTS)
                assert outcome.ok, outcome.message

            await ours()  # starts our session through the gateway's own path
            await timed(sdk, 20)
            await timed(ours, 20)
            for _ in range(rounds):  # interleaved, so machine load hits both alike
                direct += await timed(sdk, n // rounds)
                governed += await timed(ours, n // rounds)
    return direct, governed


async def starts(n: int) -> tuple[list[float], list[float]]:
    params = StdioServerParameters(command=str(SERVER), args=ARGS, env={})
    server = registration()
    direct, ours = [], []
    for _ in range(n):
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            async with (
                stdio_client(params, errlog=quiet) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                await session.list_tools()
                direct.append(time.perf_counter() - started)
        pool = Sessions()
        started = time.perf_counter()
        await pool.get(server, offline=True)
        ours.append(time.perf_counter() - started)
        await pool.close()
    return direct, ours


def report(name: str, direct: list[float], ours: list[float], unit: float, label: str) -> None:
    d, o = statistics.median(direct) * unit, statistics.median(ours) * unit
    print(
        f"{name:<14} direct SDK {d:8.2f} {label}   Interlock {o:8.2f} {label}   "
        f"added {o - d:+8.2f} {label}   ratio {o / d:5.2f}   (n={len(direct)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    if not SERVER.exists():
        print(f"{SERVER} is missing: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    os.environ.setdefault("INTERLOCK_CONFIG", str(Path(tempfile.mkdtemp()) / "config.toml"))
    direct, governed = asyncio.run(calls(args.calls, rounds=5))
    report("call (median)", direct, governed, 1000, "ms")
    direct, ours = asyncio.run(starts(args.starts))
    report("server start", direct, ours, 1000, "ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
