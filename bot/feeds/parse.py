"""Reading a fetched feed: RSS and Atom with feedparser, JSON Feed as the plain JSON it is.

Only what counting posts needs is kept: the feed's title and its entries' id, link, title and
date. feedparser gets the body as a stream, never as a string: given a string it would open a
file or fetch a URL of that name.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser

JSON_FEED_VERSION = "https://jsonfeed.org/version/"
TITLE_LENGTH = 80
_BLOCKS = {"p", "br", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}


class NotAFeed(ValueError):
    """The body is neither RSS, Atom nor JSON Feed (a web page, or a broken feed)."""


@dataclass(frozen=True)
class Entry:
    """One post of a feed: a stable id, its link, a short title, and when it was published."""

    id: str
    link: str | None
    title: str
    published: datetime | None

    @property
    def key(self) -> str:
        """A short stable fingerprint of the id, to remember entries already seen."""
        return hashlib.blake2b(self.id.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its title and entries, newest first."""

    title: str
    entries: tuple[Entry, ...]

    @property
    def latest(self) -> Entry | None:
        """The newest entry, if the feed has any."""
        return self.entries[0] if self.entries else None


class _Text(HTMLParser):
    """Collects the text of an HTML fragment (a Mastodon post has no title, only its content)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def short_text(html: str, length: int = TITLE_LENGTH) -> str:
    """The text of an HTML fragment on one line, cut to `length` characters."""
    reader = _Text()
    reader.feed(html)
    reader.close()
    text = " ".join("".join(reader.parts).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _newest_first(entries: list[Entry]) -> tuple[Entry, ...]:
    oldest = datetime.min.replace(tzinfo=UTC)
    # Stable sort: entries without a date keep the feed's own order after the dated ones.
    return tuple(sorted(entries, key=lambda e: e.published or oldest, reverse=True))


def _json_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_json_feed(body: bytes) -> Feed:
    """Read a JSON Feed (version 1 or 1.1)."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise NotAFeed(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(JSON_FEED_VERSION):
        raise NotAFeed("JSON without a JSON Feed version")
    items = doc.get("items")
    if not isinstance(items, list):
        raise NotAFeed("JSON Feed without items")
    entries = []
    for item in items:
        if not isinstance(item, dict) or item.get("id") is None:
            continue
        link = item.get("url") if isinstance(item.get("url"), str) else None
        title = item.get("title") if isinstance(item.get("title"), str) else ""
        if not title:
            title = str(item.get("content_text") or "") or short_text(str(item.get("content_html") or ""))
        entries.append(
            Entry(
                str(item["id"]),
                link,
                short_text(title),
                _json_date(item.get("date_published") or item.get("date_modified")),
            )
        )
    return Feed(short_text(str(doc.get("title") or "")), _newest_first(entries))


def _struct_date(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def parse_xml_feed(body: bytes, url: str, content_type: str = "") -> Feed:
    """Read RSS or Atom with feedparser (relative links resolved against `url`)."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not result.entries and (result.get("bozo") or not result.get("version")):
        # A web page, or a feed too broken to give a single entry (a valid empty feed is fine).
        reason = result.get("bozo_exception")
        raise NotAFeed(f"not RSS or Atom: {reason}" if reason else "not RSS or Atom")
    entries = []
    for item in result.entries:
        link = item.get("link")
        entry_id = item.get("id") or link or item.get("title")
        if not entry_id:
            continue
        title = item.get("title") or short_text(item.get("summary", ""))
        published = _struct_date(item.get("published_parsed") or item.get("updated_parsed"))
        entries.append(Entry(str(entry_id), link, short_text(title), published))
    return Feed(short_text(result.feed.get("title", "")), _newest_first(entries))


def looks_like_json(body: bytes, content_type: str) -> bool:
    """Whether a body is meant as JSON (by its type, or by its first character)."""
    return "json" in content_type.lower() or body.lstrip()[:1] == b"{"


def parse_feed(body: bytes, url: str, content_type: str = "") -> Feed:
    """Read a feed of any of the three formats; raise `NotAFeed` for anything else."""
    if looks_like_json(body, content_type):
        return parse_json_feed(body)
    return parse_xml_feed(body, url, content_type)
