"""Finding the feed behind what the owner typed: a profile, a page, or a feed's own address.

In order: the network's known feed form (Mastodon `/@user.rss`, Bluesky `/profile/<handle>/rss`,
YouTube `feeds/videos.xml?channel_id=…`, Pinterest `/<user>/feed.rss`), the address itself (a
feed, or a page whose `<link rel="alternate">` names one), then the common paths of a website
(`/feed/`, `/rss.xml`…). The first that reads as a feed wins. When none does, the error is the
most telling one met: the site's own failure (blocked, unreachable, too slow, too big) before
"no feed here".
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

from bot.feeds.fetch import BLOCKED, TIMEOUT, UNREACHABLE, Fetcher, FetchError
from bot.feeds.links import canonical_post
from bot.feeds.parse import Feed, NotAFeed, parse_feed

NO_FEED, BROKEN = "no_feed", "broken"
"""Reasons beyond the fetch's own: nothing at the address reads as a feed; a feed that is broken."""
COMMON_PATHS = ("/feed/", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/feed.json")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
)
MAX_ALTERNATES = 3
FATAL = (BLOCKED, UNREACHABLE, TIMEOUT)
"""Failures of the site itself: no point trying its other paths."""
_NOT_MASTODON = ("youtube.com", "tiktok.com", "threads.net", "threads.com", "medium.com", "instagram.com")


@dataclass(frozen=True)
class Found:
    """A feed found: its address, the network its posts count for, and what it holds now."""

    url: str
    network: str
    feed: Feed
    etag: str | None = None
    last_modified: str | None = None


def normalise_address(text: str) -> str:
    """The address as typed, trimmed, with `https://` when no scheme was given."""
    address = text.strip().strip("<>").strip()
    if address.startswith("//"):
        address = "https:" + address
    elif "://" not in address:
        address = "https://" + address
    return address


def _bare_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def network_of(feed_url: str, feed: Feed | None = None) -> str:
    """The network a feed's posts count for: from its address, else from where its posts live.

    A feed served elsewhere than its network (a mirror, a bridge) still links to its posts, so
    when the address says nothing, the latest entry's link decides; a website or blog otherwise.
    """
    by_address = _network_of_address(feed_url)
    latest = feed.latest if feed is not None else None
    if by_address == "blog" and latest is not None and latest.link:
        recognised = canonical_post(latest.link)
        if recognised is not None:
            return recognised[0]
    return by_address


def _network_of_address(feed_url: str) -> str:
    host, path = _bare_host(feed_url), urlsplit(feed_url).path
    if host in ("youtube.com", "m.youtube.com"):
        return "youtube"
    if re.fullmatch(r"(?:[a-z]{2}\.)?pinterest\.[a-z.]+", host):
        return "pinterest"
    if host == "bsky.app":
        return "bluesky"
    if re.fullmatch(r"/(?:@[\w.]+|users/[\w.]+)\.(?:rss|atom)", path):
        return "mastodon"
    return "blog"


def known_forms(address: str) -> list[str]:
    """The feed addresses a network's profile address stands for."""
    parts = urlsplit(address)
    host, path = _bare_host(address), parts.path.rstrip("/")
    origin = f"{parts.scheme}://{parts.netloc}"
    if host in ("youtube.com", "m.youtube.com"):
        found = re.fullmatch(r"/channel/(UC[\w-]+)(?:/.*)?", path)
        return [f"https://www.youtube.com/feeds/videos.xml?channel_id={found[1]}"] if found else []
    if host == "bsky.app":
        found = re.fullmatch(r"/profile/([\w.:-]+)", path)
        return [f"https://bsky.app/profile/{found[1]}/rss"] if found else []
    if re.fullmatch(r"(?:[a-z]{2}\.)?pinterest\.[a-z.]+", host):
        found = re.fullmatch(r"/([\w.-]+)", path)
        return [f"{origin}/{found[1]}/feed.rss"] if found and found[1] not in ("pin", "search") else []
    if host not in _NOT_MASTODON and re.fullmatch(r"/@[\w.]+", path):
        return [f"{origin}{path}.rss"]
    return []


class _Alternates(HTMLParser):
    """Collects the feed addresses a page names in `<link rel="alternate" type="…">`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            self.found.append(values["href"].strip())


def alternate_links(page: bytes, base: str) -> list[str]:
    """The feeds a web page announces, as absolute addresses, in the page's order."""
    reader = _Alternates()
    reader.feed(page[: 512 * 1024].decode("utf-8", errors="replace"))
    reader.close()
    links = [urljoin(base, href) for href in reader.found]
    return [link for link in dict.fromkeys(links) if urlsplit(link).scheme in ("http", "https")]


class NoFeed(Exception):
    """No feed could be found; `reason` is a fetch reason, `no_feed` or `broken`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


async def find_feed(fetcher: Fetcher, typed: str) -> Found:
    """Find the feed behind `typed`; raise `NoFeed` with the most telling reason."""
    address = normalise_address(typed)
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NoFeed(BLOCKED, address)
    queue = [*known_forms(address), address]
    tried: set[str] = set()
    site_error: FetchError | None = None  # the typed address's own failure says the most
    broken: NotAFeed | None = None
    while queue:
        url = queue.pop(0)
        if url in tried:
            continue
        tried.add(url)
        try:
            fetched = await fetcher.get(url)
        except FetchError as exc:
            if url == address:
                site_error = exc
                if exc.reason in FATAL:
                    break
            continue
        try:
            feed = parse_feed(fetched.body, fetched.url, fetched.content_type)
        except NotAFeed as exc:
            if _is_page(fetched.body, fetched.content_type):
                if url == address:
                    queue[:0] = alternate_links(fetched.body, fetched.url)[:MAX_ALTERNATES]
                    queue += _common(fetched.url)
            elif broken is None:
                broken = exc
            continue
        return Found(fetched.url, network_of(fetched.url, feed), feed, fetched.etag, fetched.last_modified)
    if site_error is not None:
        raise NoFeed(site_error.reason, str(site_error))
    if broken is not None:
        raise NoFeed(BROKEN, str(broken))
    raise NoFeed(NO_FEED, address)


def _is_page(body: bytes, content_type: str) -> bool:
    head = body[:4096].lower()
    return "html" in content_type.lower() or b"<html" in head or b"<!doctype html" in head


def _common(page_url: str) -> list[str]:
    parts = urlsplit(page_url)
    return [urlunsplit((parts.scheme, parts.netloc, path, "", "")) for path in COMMON_PATHS]


async def find_within(fetcher: Fetcher, typed: str, budget: float) -> Found:
    """`find_feed` within an overall time budget: the owner is not kept waiting on a slow site."""
    try:
        async with asyncio.timeout(budget):
            return await find_feed(fetcher, typed)
    except TimeoutError:
        raise NoFeed(TIMEOUT, typed) from None
