"""Fetching one address the way a polite, careful feed reader does.

Conditional requests (ETag, Last-Modified) so an unchanged feed costs a 304 and no body; a time
limit for the whole fetch, redirects included; a size cap checked on the header and again while
reading (on the decompressed bytes, so a compressed bomb stops at the cap too); a few redirects,
each checked by the address guard before it is followed; a cap on connections at once, overall
and per host. Failures come out as one `FetchError` whose `reason` the owner's message names.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from bot.feeds.guard import Blocked, GuardedResolver, blocked_cause, check_url

log = logging.getLogger(__name__)

REDIRECTS = (301, 302, 303, 307, 308)
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)

# Why a fetch failed; each has a text `feeds.error.<reason>` in the catalogs.
BLOCKED, TIMEOUT, TOO_BIG, REDIRECT_LOOP, NOT_FOUND, HTTP_ERROR, UNREACHABLE = (
    "blocked",
    "timeout",
    "too_big",
    "redirects",
    "not_found",
    "http_error",
    "unreachable",
)


@dataclass(frozen=True)
class FetchPolicy:
    """The limits of every fetch: time, size, redirects, connections, and the address guard."""

    timeout: float = 10.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 3
    concurrency: int = 32
    per_host: int = 8
    allow_private: bool = False
    trusted_hosts: frozenset[str] = frozenset()
    """Host names fetched whatever their address: tests only, where they stand for public sites."""
    user_agent: str = "Coach/0.1 (feed reader: counts a business owner's own posts)"


@dataclass(frozen=True)
class Fetched:
    """What an address gave: its final URL, 200 with a body or 304, and the validators to send next."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def unchanged(self) -> bool:
        """The feed has not changed since the validators were given (304)."""
        return self.status == 304


class FetchError(Exception):
    """A fetch that failed: `reason` is one of the reasons above; `status` the HTTP status if any."""

    def __init__(
        self, reason: str, detail: str = "", status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds a server asked to wait (only the delay form; a date is ignored)."""
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


class Fetcher:
    """An HTTP client for feeds; use as `async with Fetcher(policy) as fetcher`.

    `dns` replaces the system's resolver (behind the guard, which still checks what it gives).
    """

    def __init__(self, policy: FetchPolicy, dns: AbstractResolver | None = None) -> None:
        self.policy = policy
        self._dns = dns
        self._session: aiohttp.ClientSession | None = None
        self._gate = asyncio.Semaphore(policy.concurrency)

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(
            limit=self.policy.concurrency,
            limit_per_host=self.policy.per_host,
            resolver=GuardedResolver(self.policy.allow_private, self._dns, self.policy.trusted_hosts),
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
            headers={"User-Agent": self.policy.user_agent, "Accept": ACCEPT},
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """Fetch `url`, following a few checked redirects, within the time and size limits."""
        async with self._gate:
            try:
                async with asyncio.timeout(self.policy.timeout):
                    return await self._follow(url, etag, last_modified)
            except TimeoutError:
                raise FetchError(TIMEOUT, url) from None

    async def _follow(self, url: str, etag: str | None, last_modified: str | None) -> Fetched:
        if self._session is None:
            raise RuntimeError("use the Fetcher as an async context manager")
        try:
            target = URL(url)
        except ValueError as exc:
            raise FetchError(BLOCKED, str(exc)) from None
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(self.policy.max_redirects + 1):
            try:
                check_url(target, self.policy.allow_private, self.policy.trusted_hosts)
            except Blocked as exc:
                raise FetchError(BLOCKED, str(exc)) from None
            try:
                async with self._session.get(target, headers=headers, allow_redirects=False) as response:
                    if response.status in REDIRECTS and "Location" in response.headers:
                        try:
                            target = target.join(URL(response.headers["Location"]))
                        except ValueError as exc:
                            raise FetchError(BLOCKED, str(exc)) from None
                        continue
                    return await self._answer(target, response)
            except FetchError:
                raise
            except aiohttp.ClientError as exc:
                if isinstance(exc, TimeoutError):
                    raise FetchError(TIMEOUT, url) from None
                blocked = blocked_cause(exc)
                if blocked is not None:
                    raise FetchError(BLOCKED, str(blocked)) from None
                if isinstance(exc, aiohttp.InvalidURL):
                    raise FetchError(BLOCKED, str(exc)) from None
                raise FetchError(UNREACHABLE, f"{type(exc).__name__}: {exc}") from None
            except Blocked as exc:
                raise FetchError(BLOCKED, str(exc)) from None
        raise FetchError(REDIRECT_LOOP, f"more than {self.policy.max_redirects} redirects from {url}")

    async def _answer(self, url: URL, response: aiohttp.ClientResponse) -> Fetched:
        etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if response.status == 304:
            return Fetched(str(url), 304, etag=etag, last_modified=last_modified)
        if response.status in (404, 410):
            raise FetchError(NOT_FOUND, str(url), response.status)
        if response.status != 200:
            after = _retry_after(response.headers.get("Retry-After"))
            raise FetchError(HTTP_ERROR, str(url), response.status, after)
        cap = self.policy.max_bytes
        if response.content_length is not None and response.content_length > cap:
            raise FetchError(TOO_BIG, f"{response.content_length} bytes announced")
        body = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > cap:
                raise FetchError(TOO_BIG, f"more than {cap} bytes")
        content_type = response.headers.get("Content-Type", "")
        return Fetched(str(url), 200, bytes(body), content_type, etag, last_modified)
