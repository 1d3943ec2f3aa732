"""A fake web on 127.0.0.1: blogs, profiles and feeds, served like real sites serve them.

It runs in a thread of its own (the engine fetches from inside `Engine.handle`, which the story
tests call directly), serves what a test put at a path with ETag and Last-Modified, answers a
conditional request for an unchanged page with 304, and can redirect, hold a request until the
test ends (a slow site), or answer with an error. It counts what it served, per path and status.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
TYPES = {
    ".xml": "application/rss+xml; charset=UTF-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=UTF-8",
    ".json": "application/feed+json",
    ".html": "text/html; charset=UTF-8",
}


def sample(name: str) -> bytes:
    """A real-format sample from `tests/fixtures/feeds/`."""
    return (FIXTURES / name).read_bytes()


def wordpress_with(*posts: tuple[str, str, datetime]) -> bytes:
    """The WordPress sample with new posts (title, address, publication time) on top, newest first."""
    items = "".join(
        f"""<item>
		<title>{title}</title>
		<link>{link}</link>
		<dc:creator><![CDATA[Ana Dupain]]></dc:creator>
		<pubDate>{format_datetime(at.astimezone(UTC), usegmt=True)}</pubDate>
		<guid isPermaLink="false">{link}?p=1</guid>
		<description><![CDATA[{title}]]></description>
	</item>
	"""
        for title, link, at in posts
    )
    return sample("wordpress.xml").replace(b"<item>", items.encode() + b"<item>", 1)


@dataclass
class Page:
    body: bytes
    content_type: str
    version: int = 1
    modified: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 7, 12, 45, tzinfo=UTC))
    status: int = 200
    location: str | None = None
    slow: bool = False
    validators: bool = True

    @property
    def etag(self) -> str:
        return f'"v{self.version}-{len(self.body)}"'


class FeedServer:
    """The fake web; `with FeedServer() as web:` starts it, `web.url(path)` addresses a page."""

    def __init__(self, hosts: tuple[str, ...] = ("127.0.0.1",)) -> None:
        self.pages: dict[str, Page] = {}
        self.served: Counter[tuple[str, int]] = Counter()
        self.hosts = hosts
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="feed-server", daemon=True)
        self._release: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    # --- what is served ----------------------------------------------------------------------

    def put(
        self, path: str, body: bytes | str, content_type: str | None = None, validators: bool = True
    ) -> str:
        """Serve `body` at `path` (a new version when it changes); return its address."""
        data = body.encode() if isinstance(body, str) else body
        kind = content_type or TYPES.get(Path(path.split("?")[0]).suffix, "application/rss+xml")
        old = self.pages.get(path)
        version = old.version + (old.body != data) if old else 1
        self.pages[path] = Page(data, kind, version, validators=validators)
        return self.url(path)

    def put_sample(self, path: str, name: str) -> str:
        """Serve the sample file `name` at `path`."""
        return self.put(path, sample(name), TYPES[Path(name).suffix])

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answer `path` with a redirect to `location`."""
        self.pages[path] = Page(b"", "text/html", status=status, location=location)
        return self.url(path)

    def fail(self, path: str, status: int) -> str:
        """Answer `path` with an error status."""
        self.pages[path] = Page(b"error", "text/plain", status=status)
        return self.url(path)

    def hang(self, path: str) -> str:
        """Accept requests at `path` and never answer them while the test runs."""
        self.pages[path] = Page(b"", "text/plain", slow=True)
        return self.url(path)

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.hosts[0]}:{self.port}{path}"

    def count(self, path: str, status: int) -> int:
        return self.served[(path, status)]

    # --- the server ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.path_qs in self.pages else request.path
        page = self.pages.get(path)
        if page is None:
            self.served[(path, 404)] += 1
            return web.Response(status=404, text="not found")
        if page.slow:
            assert self._release is not None
            await self._release.wait()
            return web.Response(status=503)
        if page.location is not None:
            self.served[(path, page.status)] += 1
            return web.Response(status=page.status, headers={"Location": page.location})
        if page.status != 200:
            self.served[(path, page.status)] += 1
            return web.Response(status=page.status, body=page.body, content_type=page.content_type)
        headers = {}
        if page.validators:
            headers = {"ETag": page.etag, "Last-Modified": format_datetime(page.modified, usegmt=True)}
            if request.headers.get("If-None-Match") == page.etag:
                self.served[(path, 304)] += 1
                return web.Response(status=304, headers=headers)
        self.served[(path, 200)] += 1
        return web.Response(body=page.body, headers={**headers, "Content-Type": page.content_type})

    async def _start(self) -> None:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        for host in self.hosts:
            site = web.TCPSite(self._runner, host, self.port, backlog=1024)
            await site.start()
            if not self.port:
                self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        assert self._release is not None
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def __enter__(self) -> FeedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
