"""The `http_request` tool: scoped by URL prefixes/hosts and methods, pinned to addresses
we resolved and checked ourselves (netguard), redirects followed by hand and re-checked,
bounded in size and time; offline, only allow-listed loopback services (by address).
A final status outside the call's `accept_status` fails the call (see http_status)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import httpx
from pydantic import Field

from engine.tools.base import Scope, Tool, ToolCall
from engine.tools.errors import ToolError, ToolRefused
from engine.tools.http_status import DEFAULT_ACCEPT, STATUS_RULE, accepts, status_error
from engine.tools.netguard import Target, allowed_pair, parse_url, pin

log = logging.getLogger(__name__)

Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "upgrade",
        "te",
        "proxy-authorization",
    }
)
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class HttpScope(Scope):
    allow: list[str] = Field(
        default_factory=list,
        description="URL prefixes (https://api.example.com/v1/), hosts (example.com, "
        "*.example.com) or * for any public host.",
    )
    methods: list[Method] = Field(default_factory=lambda: list[Method](["GET"]))
    private_hosts: list[str] = Field(
        default_factory=list,
        description="host:port pairs allowed to resolve to non-public addresses "
        "(127.0.0.1:8080, [::1]:8080, localhost:8080).",
    )
    max_redirects: int = Field(default=3, ge=0, le=10)
    max_response_bytes: int = Field(default=1_000_000, ge=1, le=50_000_000)
    timeout_s: float = Field(default=20.0, gt=0, le=600)

    def narrow(self, requested: HttpScope) -> HttpScope:
        return HttpScope(
            allow=[r for r in requested.allow if any(_covers(g, r) for g in self.allow)],
            methods=[m for m in self.methods if m in requested.methods],
            private_hosts=[
                h for h in requested.private_hosts if h.lower() in _lower(self.private_hosts)
            ],
            max_redirects=min(self.max_redirects, requested.max_redirects),
            max_response_bytes=min(self.max_response_bytes, requested.max_response_bytes),
            timeout_s=min(self.timeout_s, requested.timeout_s),
        )


def _lower(items: list[str]) -> set[str]:
    return {item.lower() for item in items}


def _rule(text: str) -> tuple[str | None, str, int | None, str]:
    """(scheme, host pattern, port, path prefix) of an allow entry."""
    if "://" not in text:
        return None, text.lower().rstrip("."), None, "/"
    url = httpx.URL(text)
    return url.scheme.lower(), url.host.lower().rstrip("."), url.port, url.path or "/"


def _host_covers(pattern: str, host: str) -> bool:
    if pattern == "*" or pattern == host:
        return True
    return pattern.startswith("*.") and host.endswith(pattern[1:])


def _path_covers(prefix: str, path: str) -> bool:
    return (
        prefix == "/"
        or path == prefix
        or path.startswith(prefix if prefix.endswith("/") else prefix + "/")
    )


def _covers(granted: str, requested: str) -> bool:
    """Whether allow entry `granted` includes everything `requested` does."""
    try:
        g, r = _rule(granted), _rule(requested)
    except (httpx.InvalidURL, ValueError):
        return False
    return (
        (g[0] is None or g[0] == r[0])
        and _host_covers(g[1], r[1])
        and (g[2] is None or g[2] == r[2])
        and _path_covers(g[3], r[3])
    )


def _allowed(scope: HttpScope, target: Target) -> bool:
    path = target.url.path or "/"
    for entry in scope.allow:
        try:
            scheme, host, port, prefix = _rule(entry)
        except (httpx.InvalidURL, ValueError):
            continue
        if (
            (scheme is None or scheme == target.scheme)
            and _host_covers(host, target.host)
            and (port is None or port == target.port)
            and _path_covers(prefix, path)
        ):
            return True
    return False


def _check_target(scope: HttpScope, url: str) -> Target:
    target = parse_url(url)
    segments = (target.url.path or "/").split("/")
    if "." in segments or ".." in segments:
        raise ToolRefused("URL path has dot segments (possibly percent-encoded)")
    if not _allowed(scope, target):
        raise ToolRefused(
            f"{target.scheme}://{target.host}:{target.port}{target.url.path} is "
            "outside the tool's allowed URLs"
        )
    return target


def _local_service(target: Target, private_hosts: frozenset[str]) -> bool:
    """Offline, only a loopback address literal that the scope allow-lists is reachable:
    no name is resolved (that would be a network query) and nothing leaves the machine."""
    ip = target.literal
    return ip is not None and ip.is_loopback and allowed_pair(target, ip, private_hosts)


async def _send(
    client: httpx.AsyncClient,
    scope: HttpScope,
    method: str,
    target: Target,
    headers: dict[str, str],
    body: str | None,
    offline: bool = False,
) -> tuple[httpx.Response, bytes, bool]:
    private = frozenset(_lower(scope.private_hosts))
    if offline and not _local_service(target, private):
        raise ToolRefused(
            f"offline: no connection leaves the machine ({target.host}:{target.port} is not an "
            "allow-listed loopback service given by address)"
        )
    ip = await pin(target, private)
    default_port = target.port == (443 if target.scheme == "https" else 80)
    host_header = (
        target.url.netloc.decode("ascii")
        if not default_port
        else (f"[{target.host}]" if ":" in target.host else target.host)
    )
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    request = client.build_request(
        method,
        target.url.copy_with(host=str(ip)),
        headers={**headers, "Host": host_header},
        content=body.encode() if body is not None else None,
        extensions=extensions,
    )
    response = await client.send(request, stream=True)
    chunks: list[bytes] = []
    size, truncated = 0, False
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > scope.max_response_bytes:
                chunks.append(chunk[: len(chunk) - (size - scope.max_response_bytes)])
                truncated = True
                break
            chunks.append(chunk)
    finally:
        await response.aclose()
    return response, b"".join(chunks), truncated


async def http_request(call: ToolCall[HttpScope], args: dict[str, Any]) -> dict[str, Any]:
    scope = call.scope
    method = str(args.get("method", "GET")).upper()
    if method not in scope.methods:
        raise ToolRefused(f"method {method} is not allowed (allowed: {', '.join(scope.methods)})")
    headers = {str(k): str(v) for k, v in (args.get("headers") or {}).items()}
    if bad := sorted(k for k in headers if k.lower() in _FORBIDDEN_HEADERS):
        raise ToolRefused(f"headers {bad} may not be set")
    if call.idempotency_key and method not in SAFE_METHODS:
        headers["Idempotency-Key"] = call.idempotency_key
    body: str | None = args.get("body")
    url = str(args["url"])
    target = _check_target(scope, url)
    timeout = httpx.Timeout(scope.timeout_s)
    async with httpx.AsyncClient(
        trust_env=False, follow_redirects=False, timeout=timeout
    ) as client:
        try:
            async with asyncio.timeout(scope.timeout_s):
                for hop in range(scope.max_redirects + 1):
                    response, content, truncated = await _send(
                        client, scope, method, target, headers, body, call.offline
                    )
                    location = response.headers.get("location")
                    if response.status_code not in _REDIRECTS or location is None:
                        break
                    if hop == scope.max_redirects:
                        raise ToolRefused(f"more than {scope.max_redirects} redirects")
                    next_target = _check_target(scope, str(target.url.join(location)))
                    log.debug("redirect %s -> %s", response.status_code, next_target.host)
                    if (next_target.scheme, next_target.host, next_target.port) != (
                        target.scheme,
                        target.host,
                        target.port,
                    ):
                        headers = {
                            k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS
                        }
                    if response.status_code == 303 or (
                        response.status_code in (301, 302) and method == "POST"
                    ):
                        method, body = ("HEAD" if method == "HEAD" else "GET"), None
                    target = next_target
        except TimeoutError:
            raise ToolError(
                f"no complete response within {scope.timeout_s}s", error_class="timeout"
            ) from None
        except httpx.HTTPError as exc:
            raise ToolError(
                f"request failed: {type(exc).__name__}: {exc}", error_class="transient"
            ) from None
    text = content.decode(response.encoding or "utf-8", errors="replace")
    accept = args.get("accept_status") or list(DEFAULT_ACCEPT)
    if not accepts(accept, response.status_code):
        raise status_error(method, target.url, response, text, accept)
    return {
        "status": response.status_code,
        "url": str(target.url),
        "headers": {k.lower(): v for k, v in response.headers.items() if k.lower() != "set-cookie"},
        "body": text,
        "truncated": truncated,
    }


HTTP_REQUEST = Tool(
    name="http_request",
    description="Send an HTTP request to an allowed URL and return status, headers and body. "
    "A final status outside accept_status (default 2xx) fails the call: 5xx and 429 with error "
    "class transient (a retry waits at least the server's Retry-After), any other with class "
    "http.",
    arguments={
        "type": "object",
        "properties": {
            "method": {
                "type": "string",
                "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            },
            "url": {"type": "string", "minLength": 1, "maxLength": 4096},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"type": "string", "maxLength": 5_000_000},
            "accept_status": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "anyOf": [
                        {"type": "integer", "minimum": 100, "maximum": 599},
                        {"type": "string", "pattern": STATUS_RULE},
                    ]
                },
                "description": "Statuses that count as success: codes (404) and classes "
                '("2xx"); default ["2xx"]. Redirects are followed first.',
            },
        },
        "required": ["url"],
        "additionalProperties": False,
    },
    result={
        "type": "object",
        "properties": {
            "status": {"type": "integer"},
            "url": {"type": "string"},
            "headers": {"type": "object"},
            "body": {"type": "string"},
            "truncated": {"type": "boolean"},
        },
        "required": ["status", "url", "headers", "body", "truncated"],
    },
    side_effect="external",
    scope=HttpScope,
    handler=http_request,
    idempotent=True,
)
