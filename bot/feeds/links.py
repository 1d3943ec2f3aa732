"""Recognising a link to a post, from its address alone.

Instagram, Facebook, TikTok, LinkedIn and X publish no feed: a link the owner pastes or forwards
is their one-tap proof of a post. The link is read, never fetched. Each network's post addresses
come in several forms (short links, mobile hosts, tracking parameters); each is brought to one
canonical address, so the same post pasted twice, or pasted and found in a feed, is one post.
Profile pages and other links are not posts and are not recognised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

Recognised = tuple[str, str]
"""A post's network id (as in the plan's networks, or `threads`, `mastodon`, `bluesky`) and canonical link."""

_TOKEN = re.compile(r"(?<![\w/:.@-])(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?:/[^\s<>\"']*)?", re.IGNORECASE)
_ID = r"[\w-]+"
_PREFIXES = ("www.", "m.", "mobile.", "web.", "mbasic.", "business.")


def _host(raw: str) -> str:
    host = raw.lower().rstrip(".")
    for prefix in _PREFIXES:
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def _match(pattern: str, path: str) -> re.Match[str] | None:
    return re.fullmatch(pattern, path.rstrip("/"), re.IGNORECASE)


def _instagram(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(rf"(?:/[\w.]+)?/(?:p|reel|reels|tv)/({_ID})", path)
    return f"https://www.instagram.com/p/{found[1]}/" if found else None


def _facebook(path: str, query: dict[str, list[str]]) -> str | None:
    if found := _match(rf"/share/([prv])/({_ID})", path):
        return f"https://www.facebook.com/share/{found[1].lower()}/{found[2]}/"
    if found := _match(rf"/groups/({_ID}|[\w.]+)/(?:posts|permalink)/(\d+)", path):
        return f"https://www.facebook.com/groups/{found[1]}/posts/{found[2]}/"
    if found := _match(rf"/([\w.-]+)/posts/({_ID})", path):
        return f"https://www.facebook.com/{found[1]}/posts/{found[2]}"
    if _match(r"/(?:permalink|story)\.php", path) and query.get("story_fbid") and query.get("id"):
        return (
            f"https://www.facebook.com/permalink.php?story_fbid={query['story_fbid'][0]}&id={query['id'][0]}"
        )
    if found := _match(r"/(?:[\w.-]+/videos/(?:[\w.-]+/)?|reel/)(\d+)", path):
        return f"https://www.facebook.com/watch/?v={found[1]}"
    if _match(r"/watch", path) and query.get("v"):
        return f"https://www.facebook.com/watch/?v={query['v'][0]}"
    if _match(r"/photo(?:\.php)?", path) and query.get("fbid"):
        return f"https://www.facebook.com/photo/?fbid={query['fbid'][0]}"
    if found := _match(r"/[\w.-]+/photos/(?:[\w.-]+/)?(\d+)", path):
        return f"https://www.facebook.com/photo/?fbid={found[1]}"
    return None


def _fb_watch(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(rf"/({_ID})", path)
    return f"https://fb.watch/{found[1]}/" if found else None


def _linkedin(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(r"/feed/update/urn:li:(activity|share|ugcPost):(\d+)", path) or _match(
        r"/posts/[\w%.-]*?-(activity|share|ugcPost)-(\d+)(?:-[\w-]*)?", path
    )
    if found:
        return f"https://www.linkedin.com/feed/update/urn:li:{found[1]}:{found[2]}/"
    if found := _match(r"/pulse/([\w%.-]+)", path):
        return f"https://www.linkedin.com/pulse/{found[1]}/"
    return None


def _tiktok(path: str, query: dict[str, list[str]]) -> str | None:
    if found := _match(r"/@([\w.]+)/(video|photo)/(\d+)", path):
        return f"https://www.tiktok.com/@{found[1].lower()}/{found[2].lower()}/{found[3]}"
    if found := _match(rf"/t/({_ID})", path):
        return f"https://vm.tiktok.com/{found[1]}/"
    return None


def _tiktok_short(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(rf"/({_ID})", path)
    return f"https://vm.tiktok.com/{found[1]}/" if found else None


def _x(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(r"/(?:\w+|i(?:/web)?)/status(?:es)?/(\d+)(?:/(?:photo|video)/\d+)?", path)
    return f"https://x.com/i/status/{found[1]}" if found else None


def _threads(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(rf"/@([\w.]+)/post/({_ID})", path)
    return f"https://www.threads.net/@{found[1].lower()}/post/{found[2]}" if found else None


def _youtube(path: str, query: dict[str, list[str]]) -> str | None:
    video = query.get("v", [""])[0] if _match(r"/watch", path) else ""
    if not video and (found := _match(rf"/(?:shorts|live|embed)/({_ID})", path)):
        video = found[1]
    return f"https://www.youtube.com/watch?v={video}" if re.fullmatch(_ID, video or "-!") else None


def _youtu_be(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(rf"/({_ID})", path)
    return f"https://www.youtube.com/watch?v={found[1]}" if found else None


def _pinterest(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(r"/pin/(?:[\w-]*--)?(\d+)", path)
    return f"https://www.pinterest.com/pin/{found[1]}/" if found else None


def _pin_it(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(rf"/({_ID})", path)
    return f"https://pin.it/{found[1]}" if found else None


def _bluesky(path: str, query: dict[str, list[str]]) -> str | None:
    found = _match(rf"/profile/([\w.:-]+)/post/({_ID})", path)
    return f"https://bsky.app/profile/{found[1].lower()}/post/{found[2]}" if found else None


Reader = Callable[[str, dict[str, list[str]]], str | None]
_HOSTS: dict[str, tuple[str, Reader]] = {
    "instagram.com": ("instagram", _instagram),
    "instagr.am": ("instagram", _instagram),
    "facebook.com": ("facebook", _facebook),
    "fb.com": ("facebook", _facebook),
    "fb.watch": ("facebook", _fb_watch),
    "linkedin.com": ("linkedin", _linkedin),
    "tiktok.com": ("tiktok", _tiktok),
    "vm.tiktok.com": ("tiktok", _tiktok_short),
    "vt.tiktok.com": ("tiktok", _tiktok_short),
    "x.com": ("x", _x),
    "twitter.com": ("x", _x),
    "threads.net": ("threads", _threads),
    "threads.com": ("threads", _threads),
    "youtube.com": ("youtube", _youtube),
    "youtu.be": ("youtube", _youtu_be),
    "pinterest.com": ("pinterest", _pinterest),
    "pin.it": ("pinterest", _pin_it),
    "bsky.app": ("bluesky", _bluesky),
}
_PINTEREST = re.compile(r"(?:[a-z]{2}\.)?pinterest\.(?:com|[a-z]{2}|co\.uk|com\.au|com\.mx)")
_MASTODON = re.compile(r"/(?:@([\w.]+)|users/([\w.]+)/statuses)/(\d+)")


def canonical_post(url: str) -> Recognised | None:
    """The network and canonical address of one URL if it is a post's, else None."""
    try:
        parts = urlsplit(url if "://" in url else "https://" + url)
        raw_host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not raw_host:
        return None
    host = _host(raw_host)
    query = parse_qs(parts.query)
    path = parts.path or "/"
    known = _HOSTS.get(host) or (_HOSTS["pinterest.com"] if _PINTEREST.fullmatch(host) else None)
    if known is not None:
        network, reader = known
        link = reader(path, query)
        return (network, link) if link else None
    found = _MASTODON.fullmatch(path.rstrip("/"))
    if found and "." in host:
        user = found[1] or found[2]
        return "mastodon", f"https://{host}/@{user.lower()}/{found[3]}"
    return None


def recognise_post_link(text: str) -> Recognised | None:
    """The first link to a post in what the owner typed: its network and canonical address."""
    for token in _TOKEN.findall(text or ""):
        found = canonical_post(token.rstrip(".,;:!?)]}»"))
        if found is not None:
            return found
    return None
