"""Routing overhead: what the router + RemoteProvider add per call over a bare httpx call to
the same local llama_cpp.server, and how long retries/fallback take under injected 503s.

    .venv/bin/python bench/routing_overhead.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.nodes.base import NodeContext  # noqa: E402
from engine.providers.base import (  # noqa: E402
    ChatMessage,
    ModelRequest,
    ModelResult,
    ProviderRegistry,
    TokenCallback,
)
from engine.providers.remote import Endpoint, RemoteProvider, TransportRetry  # noqa: E402
from engine.routing.execute import RoutedCall  # noqa: E402
from engine.routing.policy import RoutePolicy  # noqa: E402
from tests.support.fault_server import fault_server  # noqa: E402

REQUEST = ModelRequest(messages=[ChatMessage("user", "Say yes.")], max_tokens=1, seed=0)


@contextlib.contextmanager
def llama_server(model: Path, n_ctx: int = 2048) -> Iterator[str]:
    """Start `python -m llama_cpp.server` on a free port; yield its /v1 URL; stop it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
           "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
           "--interrupt_requests", "False"]  # whole answers with concurrent requests  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def context(registry: ProviderRegistry) -> NodeContext:
    return NodeContext(
        run_id="bench", node_id="ask", attempt=1, providers=registry, registry=None,
        base_dir=None, emit_token=lambda t: None, log=lambda level, m: None,
        run_child=None,  # type: ignore[arg-type]
    )  # fmt: skip


async def bare(client: httpx.AsyncClient, url: str) -> str:
    body = {"model": "m", "messages": [{"role": "user", "content": "Say yes."}], "max_tokens": 1,
            "temperature": 0.0, "top_p": 1.0, "seed": 0, "stream": True}  # fmt: skip
    text = []
    async with client.stream("POST", url + "/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                delta = json.loads(line[6:])["choices"][0].get("delta", {})
                text.append(delta.get("content") or "")
    return "".join(text)


async def overhead(url: str, calls: int) -> dict[str, float]:
    provider = RemoteProvider(Endpoint("bench", url, ("m",), 1.0, 1.0))
    registry = ProviderRegistry([provider])
    route = RoutePolicy(model="bench/m")
    ctx = context(registry)
    times: dict[str, list[float]] = {"bare": [], "routed": []}
    async with httpx.AsyncClient(trust_env=False) as client:
        for i in range(calls + 10):  # interleaved so load changes hit both alike
            for name in ("bare", "routed") if i % 2 else ("routed", "bare"):
                started = time.perf_counter()
                if name == "bare":
                    await bare(client, url)
                else:
                    await RoutedCall(ctx, route, REQUEST, "bench/m").run()
                if i >= 10:
                    times[name].append(time.perf_counter() - started)
    await provider.aclose()
    b, r = statistics.median(times["bare"]), statistics.median(times["routed"])
    return {"bare_ms": b * 1e3, "routed_ms": r * 1e3, "added_ms": (r - b) * 1e3}


class Instant:
    name = "local"

    def models(self) -> list[str]:
        return ["tiny"]

    async def generate(
        self, model: str, request: ModelRequest, on_token: TokenCallback | None = None
    ) -> ModelResult:
        return ModelResult("ok", model, self.name)


async def under_faults(url: str, route: RoutePolicy, provider: RemoteProvider) -> float:
    ctx = context(ProviderRegistry([Instant(), provider]))
    started = time.perf_counter()
    await RoutedCall(ctx, route, REQUEST, route.model).run()
    return time.perf_counter() - started


def faults() -> list[tuple[str, float]]:
    rows = []
    retry = TransportRetry()  # the defaults: 3 requests, 0.25 s then 0.5 s backoff, 20% jitter
    with fault_server("503", "503") as server:
        p = RemoteProvider(Endpoint("fs", server.url, ("m",)), retry=retry)
        seconds = asyncio.run(under_faults(server.url, RoutePolicy(model="fs/m"), p))
        rows.append(("2x 503 then ok (retries)", seconds))
    with fault_server(default="503") as server:
        p = RemoteProvider(Endpoint("fs", server.url, ("m",)), retry=retry)
        route = RoutePolicy(model="fs/m", fallback=["tiny"])
        seconds = asyncio.run(under_faults(server.url, route, p))
        rows.append(("503 always -> fallback to local", seconds))
        asyncio.run(under_faults(server.url, route, p))  # 6 failures: the circuit opens (5)
        seconds = asyncio.run(under_faults(server.url, route, p))
        rows.append(("circuit open -> fallback at once", seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    from local_models.bundled import smollm2_path

    print(f"router + RemoteProvider vs bare httpx, {args.calls} interleaved calls each, "
          "streamed chat, max_tokens=1")  # fmt: skip
    with fault_server() as server:
        row = asyncio.run(overhead(server.url, args.calls))
        print(f"  instant fault server : bare {row['bare_ms']:.3f} ms, routed "
              f"{row['routed_ms']:.3f} ms, added {row['added_ms']:.3f} ms (median)")  # fmt: skip
    with llama_server(smollm2_path()) as url:
        row = asyncio.run(overhead(url, args.calls))
        print(f"  llama_cpp.server     : bare {row['bare_ms']:.3f} ms, routed "
              f"{row['routed_ms']:.3f} ms, added {row['added_ms']:.3f} ms (median)")  # fmt: skip
    print("time to an answer under injected 503s (default TransportRetry):")
    for label, seconds in faults():
        print(f"  {label:<34} {seconds * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
