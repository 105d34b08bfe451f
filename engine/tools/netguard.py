"""SSRF defence for outgoing HTTP: strict URL parsing, our own DNS resolution, and a
check that every resolved address is public unless its host:port is allow-listed.

Ambiguous numeric hosts (2130706433, 0x7f.1, 017700000001, 127.1) are refused outright:
resolvers read them as IPv4 addresses, people do not.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass

import httpx

from engine.tools.errors import ToolError, ToolRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_HOST_CHARS = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$"
)
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_DOTTED_QUAD = re.compile(
    r"^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$"
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "192.0.0.0/24",
        "192.88.99.0/24",
        "198.18.0.0/15",
        "240.0.0.0/4",
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "100::/64",
    )
)
"""Special-purpose blocks (RFC 6890 and successors) that `ipaddress` may call global."""
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: scheme, lowercase host (no trailing dot), effective port."""

    url: httpx.URL
    scheme: str
    host: str
    port: int
    literal: IPAddress | None
    """The address when the host is an IP literal."""


def parse_url(text: str) -> Target:
    """Parse and check the shape of a URL; refuse anything ambiguous."""
    if any(ord(c) < 0x21 or c in "\\\x7f" for c in text):
        raise ToolRefused("URL contains whitespace, control characters or backslashes")
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ToolRefused(f"invalid URL: {exc}") from None
    scheme = url.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ToolRefused(f"URL scheme {url.scheme!r} is not allowed (http and https only)")
    if url.userinfo:
        raise ToolRefused("URLs with credentials (user@host) are not allowed")
    host = url.host.lower()
    if not host:
        raise ToolRefused("URL has no host")
    port = url.port or DEFAULT_PORTS[scheme]
    literal: IPAddress | None = None
    if ":" in host:
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            raise ToolRefused(f"invalid IPv6 host {host!r}") from None
    else:
        if not _HOST_CHARS.match(host):
            raise ToolRefused(f"host {host!r} has characters a hostname cannot have")
        host = host.rstrip(".")
        labels = host.split(".")
        if all(_NUMERIC_LABEL.match(label) for label in labels):
            if not _DOTTED_QUAD.match(host):
                raise ToolRefused(f"ambiguous numeric host {host!r}: write the dotted address")
            literal = ipaddress.IPv4Address(host)
    return Target(url, scheme, host, port, literal)


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` is not a public unicast address, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and (problem := address_problem(embedded)):
            return f"a tunnel to {problem}"
        if ip.scope_id:
            return "a scoped (zone) IPv6 address"
    checks = (
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a shared (CGNAT) address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (
            any(ip in net for net in _NOT_PUBLIC if net.version == ip.version),
            "a special-purpose address",
        ),
        (not ip.is_global, "not a global address"),
    )
    return next((why for bad, why in checks if bad), None)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (A and AAAA), through the system resolver."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ToolError(f"cannot resolve {host!r}: {exc}", error_class="transient") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if ip not in found:
            found.append(ip)
    if not found:
        raise ToolError(f"{host!r} has no addresses", error_class="transient")
    return found


def allowed_pair(target: Target, ip: IPAddress, private_hosts: frozenset[str]) -> bool:
    names = {target.host, str(ip), f"[{ip}]" if ip.version == 6 else str(ip)}
    return any(f"{name}:{target.port}" in private_hosts for name in names)


async def pin(target: Target, private_hosts: frozenset[str]) -> IPAddress:
    """The address to connect to: resolved by us, every candidate checked, first one used.
    Non-public addresses pass only when host:port (name or address) is allow-listed."""
    addresses = (
        [target.literal] if target.literal is not None else await resolve(target.host, target.port)
    )
    for ip in addresses:
        problem = address_problem(ip)
        if problem and not allowed_pair(target, ip, private_hosts):
            raise ToolRefused(
                f"{target.host}:{target.port} resolves to {ip}, {problem}; "
                "only allow-listed host:port pairs may reach non-public addresses"
            )
    return addresses[0]
