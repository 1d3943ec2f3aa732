"""One feed an owner follows, as kept in their record: where it is and how reading it goes.

`seen` holds short fingerprints of the entries already read (the latest window of the feed), so
an entry is counted once; `etag` and `last_modified` make the next fetch a conditional one;
`next_at` is when it may be fetched again (ISO, UTC); `failures` and `failing_since` count a
failing spell, and `warned` tells that the owner was told about it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_SEEN = 200
"""Fingerprints kept per feed: more than a feed's window of entries, so none comes back as new."""


@dataclass
class FeedState:
    """A followed feed: its address, the network it counts for, and its reading state."""

    url: str
    network: str
    title: str
    added_at: str
    seen: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    next_at: str | None = None
    checked_at: str | None = None
    failures: int = 0
    failing_since: str | None = None
    last_error: str | None = None
    warned: bool = False

    def remember(self, keys: list[str]) -> None:
        """Note entries as seen, the newest last, keeping the latest `MAX_SEEN`."""
        known = set(self.seen)
        self.seen.extend(key for key in keys if key not in known)
        del self.seen[:-MAX_SEEN]

    def to_doc(self) -> dict[str, Any]:
        """The state as stored."""
        return {**vars(self), "seen": list(self.seen)}

    @classmethod
    def from_doc(cls, doc: Any) -> FeedState:
        """Read a stored state (a field an older record lacks takes its default)."""
        if not isinstance(doc, dict):
            raise TypeError(f"a feed is not an object: {doc!r:.80}")
        return cls(**doc)
