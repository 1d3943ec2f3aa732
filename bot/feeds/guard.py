"""The address guard: the server fetches addresses typed by owners, never private ones.

An owner could type `http://169.254.169.254/…` (a cloud's metadata service), `http://localhost:5432`
or a name that resolves to the office network: the classic server-side request forgery. So only
http and https are fetched, and every address the connection would go to is checked after DNS
resolution, by the resolver the HTTP client connects with (so the address checked is the one
used), and again for each redirect, which goes through the same resolver. Literal IP addresses
in a URL skip resolvers, so `check_url` checks them before each request.

`allow_private` lifts the check for tests on 127.0.0.1 (`COACH_FEEDS_ALLOW_PRIVATE=1`): unsafe
on a server, since any owner could then make it fetch the machine's own services.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

SCHEMES = ("http", "https")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Blocked(OSError):
    """An address the server must not fetch; `reason` says why, for logs and the owner's message."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, link-local…)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        ip = ip.sixtofour
    if isinstance(ip, ipaddress.IPv6Address) and ip in _NAT64:  # 64:ff9b::a.b.c.d reaches a.b.c.d
        ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_url(url: URL, allow_private: bool, trusted: frozenset[str] = frozenset()) -> None:
    """Refuse a URL that is not http(s), has no host, or names a private IP address literally.

    `trusted` host names skip the address check (tests only: they stand for public sites).
    """
    if url.scheme not in SCHEMES:
        raise Blocked("scheme", url.scheme or "none")
    host = url.raw_host
    if not host:
        raise Blocked("no_host", str(url))
    if allow_private or host.lower() in trusted:
        return
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        if host.rstrip(".").lower() == "localhost" or host.rstrip(".").lower().endswith(".localhost"):
            raise Blocked("private", host) from None
        return
    if not is_public(literal):
        raise Blocked("private", host)


class GuardedResolver(AbstractResolver):
    """Resolves names like the default resolver, and refuses any that lead to a private address."""

    def __init__(
        self,
        allow_private: bool,
        inner: AbstractResolver | None = None,
        trusted: frozenset[str] = frozenset(),
    ) -> None:
        self.allow_private = allow_private
        self.trusted = trusted
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve `host`; raise `Blocked` if any of its addresses is not public."""
        found = await self._inner.resolve(host, port, family)
        if not (self.allow_private or host.lower() in self.trusted):
            for result in found:
                if not is_public(result["host"]):
                    raise Blocked("private", f"{host} resolves to a non-public address")
        return found

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()


def blocked_cause(error: BaseException) -> Blocked | None:
    """The `Blocked` refusal behind a client error, if that is what it was."""
    seen: set[int] = set()
    current: Any = error
    while current is not None and id(current) not in seen:
        if isinstance(current, Blocked):
            return current
        seen.add(id(current))
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
    return None
