"""Counting each post once, whether the owner typed `/posted`, a feed showed it, or a link did.

The rule (docs/feeds.md): a post detected by itself (a feed entry or a pasted link) and a
`/posted` typed for the same network, or for no network, within `SAME_POST` of each other are
one post. Whichever comes first is logged; the second is matched to it instead of being added.
Each typed post matches at most one detected post and the other way round, so an owner who
posts twice in a day and types `/posted` twice still has two posts. A link already logged (same
canonical address) is never logged again, whichever way it came. Posts stay in date order, so
the latest one is the last, as the reminders expect.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

from bot.store.base import OwnerRecord, Post

SAME_POST = timedelta(hours=12)
MAX_POSTS = 500
"""Posts kept per owner: enough for a year of streaks at the highest cadence."""
FEED, LINK = "feed", "link"
"""Where a detected post came from (`Post.origin`; None is a typed `/posted`)."""


def _insert(record: OwnerRecord, post: Post) -> None:
    moments = [p.moment for p in record.posts]
    record.posts.insert(bisect.bisect_right(moments, post.moment), post)
    del record.posts[:-MAX_POSTS]


def _close(post: Post, at: datetime, network: str | None) -> bool:
    same_network = network is None or post.network is None or post.network == network
    return same_network and abs(post.moment - at) <= SAME_POST


def _nearest(candidates: list[Post], at: datetime) -> Post | None:
    return min(candidates, key=lambda p: abs(p.moment - at), default=None)


def has_link(record: OwnerRecord, link: str) -> Post | None:
    """The post already logged with this canonical link, if any."""
    return next((p for p in record.posts if p.link == link), None)


def add_detected(record: OwnerRecord, network: str, at: datetime, link: str | None, origin: str) -> bool:
    """Log a post found by a feed or a link; return False when it was counted already."""
    if link is not None and has_link(record, link):
        return False
    typed = _nearest([p for p in record.posts if p.origin is None and _close(p, at, network)], at)
    if typed is not None:
        typed.network, typed.link, typed.origin, typed.confirmed = network, link, origin, True
        return False
    _insert(record, Post(at.isoformat(), network, False, link=link, origin=origin))
    return True


def add_typed(record: OwnerRecord, at: datetime, network: str | None, promo: bool) -> Post | None:
    """Log a `/posted`; return the detected post it turned out to be, if it was one (not added)."""
    found = _nearest(
        [p for p in record.posts if p.origin is not None and not p.confirmed and _close(p, at, network)], at
    )
    if found is not None:
        found.confirmed = True
        found.promo = found.promo or promo
        return found
    _insert(record, Post(at.isoformat(), network, promo))
    return None
