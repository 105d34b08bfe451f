"""`interlock endpoints`: add, list, test and remove remote OpenAI-compatible endpoints.

Endpoints go in the user config file; their API keys go in the OS keyring (or, where there
is none, the `INTERLOCK_KEY_<ENDPOINT>` environment variable) and are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("endpoints", help="manage remote OpenAI-compatible endpoints")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    esub = p.add_subparsers(dest="endpoints_command", metavar="ACTION")
    q = esub.add_parser("add", help="add or replace an endpoint")
    q.add_argument("name")
    q.add_argument("--url", required=True, help="base URL, e.g. https://host/v1")
    q.add_argument("--model", action="append", required=True, help="model name (repeatable)")
    q.add_argument("--price-in", type=float, default=0.0, help="USD per 1M prompt tokens")
    q.add_argument("--price-out", type=float, default=0.0, help="USD per 1M output tokens")
    q.add_argument("--tier", default="hard", help="quality tier: routine, standard, hard...")
    q.add_argument("--context", type=int, default=8192, help="context window in tokens")
    q.add_argument("--max-concurrency", type=int, default=4)
    q.add_argument("--json-mode", choices=["llama_cpp", "openai", "none"], default="llama_cpp")
    key = q.add_mutually_exclusive_group()
    key.add_argument("--key-from-env", metavar="VAR", help="read the API key from $VAR")
    key.add_argument("--key-stdin", action="store_true", help="read the API key from stdin")
    q.set_defaults(handler=cmd_add)
    q = esub.add_parser("list", help="list endpoints")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_list)
    q = esub.add_parser("test", help="send a tiny real request")
    q.add_argument("name")
    q.set_defaults(handler=cmd_test)
    q = esub.add_parser("remove", help="forget an endpoint and its key")
    q.add_argument("name")
    q.set_defaults(handler=cmd_remove)


def _fail(message: str) -> int:
    print(f"interlock: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_add(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from engine.providers.remote import secrets
    from engine.providers.remote.endpoint import Endpoint, save_endpoint
    from engine.routing.policy import QUALITY_TIERS

    if args.tier not in QUALITY_TIERS:
        return _fail(f"unknown tier {args.tier!r}; use one of {', '.join(QUALITY_TIERS)}")
    key: str | None = None
    if args.key_from_env:
        key = os.environ.get(args.key_from_env)
        if not key:
            return _fail(f"${args.key_from_env} is not set")
    elif args.key_stdin:
        key = sys.stdin.readline().strip() or None
        if key is None:
            return _fail("no key on stdin")
    try:
        endpoint = Endpoint(
            args.name,
            args.url,
            tuple(args.model),
            args.price_in,
            args.price_out,
            args.tier,
            args.context,
            args.max_concurrency,
            args.json_mode,
        )
    except ConfigError as exc:
        return _fail(str(exc))
    note = ""
    if key is not None:
        try:
            secrets.set_key(endpoint.name, key)
            note = " (key stored in the OS keyring)"
        except secrets.NoKeyringBackend as exc:
            if os.environ.get(secrets.env_var(endpoint.name)) != key:
                return _fail(str(exc))
            # No keyring here, but the key is already where the fallback reads it.
            note = f" (no OS keyring: the key is read from ${secrets.env_var(endpoint.name)})"
    save_endpoint(endpoint)
    print(f"added endpoint {endpoint.name}: {', '.join(endpoint.models)}{note}")
    return EXIT_OK


def _row(endpoint: Any, has_key: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"name": endpoint.name, **endpoint.to_config(), "has_key": has_key}
    data["models"] = [endpoint.qualified(m) for m in endpoint.models]
    return data


def cmd_list(args: argparse.Namespace) -> int:
    from engine.providers.remote import get_key, load_endpoints

    rows = [_row(e, get_key(e.name) is not None) for e in load_endpoints()]
    if getattr(args, "json", False):
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no endpoints; add one with `interlock endpoints add`")
    for r in rows:
        print(
            f"{r['name']:<16} {r['url']:<36} tier {r['tier']:<8} ${r['price_in']}/"
            f"${r['price_out']} per 1M  ctx {r['context']:<6} x{r['max_concurrency']}  "
            f"key {'yes' if r['has_key'] else 'no'}  {', '.join(r['models'])}"
        )
    return EXIT_OK


def remote_models() -> list[dict[str, Any]]:
    """One row per remote model for `interlock models` (source "remote")."""
    from engine.providers.remote import load_endpoints

    return [
        {
            "model_id": e.qualified(m),
            "source": "remote",
            "endpoint": e.name,
            "tier": e.tier,
            "price_in": e.price_in,
            "price_out": e.price_out,
            "context": e.context,
        }
        for e in load_endpoints()
        for m in e.models
    ]


def cmd_test(args: argparse.Namespace) -> int:
    from engine.providers.base import ChatMessage, ModelRequest, ProviderError
    from engine.providers.remote import RemoteProvider, get_key, load_endpoints, offline_switch

    endpoint = next((e for e in load_endpoints() if e.name == args.name), None)
    if endpoint is None:
        return _fail(f"no endpoint {args.name!r}")
    if offline_switch():
        return _fail("offline mode (INTERLOCK_OFFLINE): no network connection is attempted")
    provider = RemoteProvider(endpoint, get_key(endpoint.name))
    request = ModelRequest(messages=[ChatMessage("user", "Reply with: OK")], max_tokens=4)

    async def once() -> Any:
        try:
            return await provider.generate(provider.models()[0], request)
        finally:
            await provider.aclose()

    started = time.perf_counter()
    try:
        result = asyncio.run(once())
    except ProviderError as exc:
        print(f"{endpoint.name}: FAILED — {exc}", file=sys.stderr)
        return EXIT_FAILED
    took = time.perf_counter() - started
    print(
        f"{endpoint.name}: ok in {took:.2f}s — {result.model} answered {result.text.strip()!r} "
        f"({result.prompt_tokens}+{result.completion_tokens} tokens, ${result.cost_usd:.6f})"
    )
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from engine.providers.remote import secrets
    from engine.providers.remote.endpoint import remove_endpoint

    if not remove_endpoint(args.name):
        return _fail(f"no endpoint {args.name!r}")
    secrets.delete_key(args.name)
    print(f"removed endpoint {args.name}")
    return EXIT_OK
