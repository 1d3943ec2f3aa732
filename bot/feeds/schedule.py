"""When each feed is fetched next: at most every 30 minutes, later and later while it fails.

A feed that answered is fetched again after `MIN_INTERVAL`; one that failed waits twice as long
after each failure in a row, up to `MAX_BACKOFF`, and longer if the server asked (Retry-After).
A fixed offset per address, from its hash, spreads thousands of feeds over the interval
instead of fetching them all in the same minute, and stays the same across restarts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

MIN_INTERVAL = timedelta(minutes=30)
MAX_BACKOFF = timedelta(hours=12)
MAX_RETRY_AFTER = timedelta(hours=24)
SPREAD = timedelta(minutes=5)
WARN_AFTER = timedelta(days=7)
"""A feed failing this long earns the owner one message."""


def spread(url: str) -> timedelta:
    """A stable offset between zero and `SPREAD` for this address."""
    digest = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=4).digest(), "big")
    return SPREAD * (digest / 2**32)


def after_success(url: str, now: datetime) -> datetime:
    """When to fetch a feed again after it answered."""
    return now + MIN_INTERVAL + spread(url)


def after_failure(url: str, now: datetime, failures: int, retry_after: float | None = None) -> datetime:
    """When to fetch a feed again after `failures` failures in a row (the first is 1)."""
    wait = min(MIN_INTERVAL * (1 << min(max(0, failures - 1), 16)), MAX_BACKOFF)
    if retry_after is not None:
        wait = max(wait, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return now + wait + spread(url)
