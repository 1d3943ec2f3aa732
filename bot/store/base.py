"""The store port: what the engine needs to keep each owner's progress."""

from __future__ import annotations

import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.events import Reply
from bot.feeds.state import FeedState
from bot.store.schema import SCHEMA_VERSION, migrate

log = logging.getLogger(__name__)

MAX_SEEN_EVENTS = 200
"""How many recent event ids are kept per owner to drop a redelivered update."""


class StoreError(RuntimeError):
    """The store cannot give or keep a record; the message says which and why."""


def _fields(part: type[Any], doc: Any, owner_hint: str) -> dict[str, Any]:
    """The stored keys of one part of a record, refusing anything that is not a plain object."""
    if not isinstance(doc, dict):
        raise StoreError(f"{owner_hint}: {part.__name__} is not an object: {doc!r:.80}")
    return doc


@dataclass
class Settings:
    """An owner's reminder settings as `/settings` keeps them (stored under `prefs`).

    Times of day are `HH:MM` on the owner's wall clock; `timezone` None means the default zone
    of their language; `holiday_until` is an ISO date; `per_day` and `per_week` the reminder
    budget; `post_days` (0 = Monday) and `post_time` when the owner said they will post.
    `bot.nudges.prefs.Prefs` reads them.
    """

    timezone: str | None = None
    checkin_day: int = 0
    checkin_time: str = "09:00"
    quiet_start: str = "20:00"
    quiet_end: str = "08:00"
    paused: bool = False
    auto_paused: bool = False
    holiday_until: str | None = None
    stopped: bool = False
    per_day: int = 1
    per_week: int = 3
    post_days: list[int] = field(default_factory=list)
    post_time: str | None = None

    def to_doc(self) -> dict[str, Any]:
        """The settings as stored: only those the owner changed, as older coaches kept them."""
        return {key: value for key, value in vars(self).items() if value != _SETTINGS_DEFAULTS[key]}

    @classmethod
    def from_doc(cls, doc: Any, owner_id: str = "?") -> Settings:
        """Read stored settings; a key missing (an older record) takes its default."""
        return cls(**_fields(cls, doc, owner_id))


_SETTINGS_DEFAULTS = vars(Settings())


@dataclass
class KindCount:
    """How many reminders of one kind were sent, and how many the owner reacted to."""

    sent: int = 0
    reacted: int = 0


@dataclass
class ReminderState:
    """What the reminders did for one owner (stored under `nudges`).

    `sent` holds the period last claimed per kind (a kind goes out once per period);
    `counts` the sent/reacted tallies for `coach stats`; `unanswered` the reminders in a row
    without a word back; `last_kind` the latest one, until the owner reacts; `tips` when each
    weekly tip's topic was last shown (ISO time) and `tip_counts` how often; `wordings` the
    wording last used per reminder kind (never the same twice in a row); `bundles` when the
    latest messages went out (ISO times, for the daily and weekly budget); `holiday_weeks` the
    weeks (`2026-W49`) a holiday covered, which keep a streak.
    """

    sent: dict[str, str] = field(default_factory=dict)
    counts: dict[str, KindCount] = field(default_factory=dict)
    unanswered: int = 0
    last_kind: str | None = None
    tips: dict[str, str] = field(default_factory=dict)
    tip_counts: dict[str, int] = field(default_factory=dict)
    wordings: dict[str, int] = field(default_factory=dict)
    bundles: list[str] = field(default_factory=list)
    holiday_weeks: list[str] = field(default_factory=list)

    def count(self, kind: str) -> KindCount:
        """The tallies of `kind`, created at zero."""
        return self.counts.setdefault(kind, KindCount())

    def to_doc(self) -> dict[str, Any]:
        """The state as stored, empty parts left out (`{}` for an owner never reminded)."""
        doc: dict[str, Any] = {
            "sent": dict(self.sent),
            "counts": {kind: vars(c).copy() for kind, c in self.counts.items()},
            "unanswered": self.unanswered,
            "last_kind": self.last_kind,
            "tips": dict(self.tips),
            "tip_counts": dict(self.tip_counts),
            "wordings": dict(self.wordings),
            "bundles": list(self.bundles),
            "holiday_weeks": list(self.holiday_weeks),
        }
        return {key: value for key, value in doc.items() if value}

    @classmethod
    def from_doc(cls, doc: Any, owner_id: str = "?") -> ReminderState:
        """Read the stored state; parts an older record lacks start empty."""
        values = dict(_fields(cls, doc, owner_id))
        values["counts"] = {k: KindCount(**c) for k, c in (values.get("counts") or {}).items()}
        return cls(**values)


@dataclass
class Post:
    """One post the owner logged: when (ISO time), on which network if said, and if it was promotion.

    A post detected by itself has its `link` and its `origin` (`feed` or `link`; None for a typed
    `/posted`); `confirmed` tells that the owner also typed `/posted` for it (`bot.feeds.counting`).
    """

    at: str
    network: str | None = None
    promo: bool = False
    link: str | None = None
    origin: str | None = None
    confirmed: bool = False

    def to_doc(self) -> dict[str, Any]:
        """The post as stored; a typed post keeps only its first three keys."""
        doc: dict[str, Any] = {"at": self.at, "network": self.network, "promo": self.promo}
        if self.origin is not None:
            doc.update(link=self.link, origin=self.origin, confirmed=self.confirmed)
        return doc

    @property
    def moment(self) -> datetime:
        """When it was published."""
        return datetime.fromisoformat(self.at)


@dataclass
class Waiting:
    """Comments or messages awaiting the owner's reply: how many, and since when (ISO time)."""

    count: int = 0
    since: str | None = None

    def to_doc(self) -> dict[str, Any]:
        """Stored as `{}` when nothing waits."""
        return {"count": self.count, "since": self.since} if self.count or self.since else {}

    @classmethod
    def from_doc(cls, doc: Any, owner_id: str = "?") -> Waiting:
        """Read what was stored (`{}`: nothing waits)."""
        return cls(**_fields(cls, doc, owner_id))


@dataclass
class ReplyWait:
    """A wait for a reply that ended: from the first comment waiting to the last answered (ISO times)."""

    since: str
    until: str


@dataclass
class Lease:
    """Who is delivering an outbox entry (`<process>/<deliverer>`), and until when (epoch seconds)."""

    holder: str
    until: float

    @property
    def process(self) -> str:
        """The process the holder runs in: its lease counts only while that process runs."""
        return self.holder.split("/", 1)[0]


@dataclass
class OutboxEntry:
    """Messages owed to an owner, delivered in order: a reply to an event, a reminder, an export.

    `delivered` counts those that went out (a retry or a restart resumes after them); `lease`
    names the deliverer sending them now, if any. Stored flat, as `lease` and `lease_until`.
    """

    id: str
    kind: str = "reminder"
    claimed_at: str = ""
    replies: list[Reply] = field(default_factory=list)
    delivered: int = 0
    lease: Lease | None = None

    @property
    def pending(self) -> list[Reply]:
        """The messages still to send."""
        return self.replies[self.delivered :]

    @property
    def done(self) -> bool:
        """Whether every message went out."""
        return self.delivered >= len(self.replies)

    def to_doc(self) -> dict[str, Any]:
        """The entry as stored."""
        doc: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "claimed_at": self.claimed_at,
            "replies": [r.to_dict() for r in self.replies],
            "delivered": self.delivered,
        }
        if self.lease is not None:
            doc["lease"], doc["lease_until"] = self.lease.holder, self.lease.until
        return doc

    @classmethod
    def from_doc(cls, doc: Any, owner_id: str = "?") -> OutboxEntry:
        """Read a stored entry."""
        values = dict(_fields(cls, doc, owner_id))
        holder, until = values.pop("lease", None), values.pop("lease_until", 0.0)
        lease = Lease(str(holder), float(until or 0.0)) if holder is not None else None
        replies = [Reply.from_dict(r) for r in values.pop("replies", [])]
        return cls(**values, replies=replies, lease=lease)


@dataclass
class OwnerRecord:
    """Everything kept about one owner: where they are, what they answered, how they are doing.

    `posts` and `waiting` are what the owner logged since their plan (posts published, replies
    owed), `reply_waits` the waits for a reply that ended (for the weekly chart); `prefs` their
    reminder settings; `nudges` what the reminders did; `outbox` the messages owed to them and
    not yet delivered; `feeds` the public feeds followed for their posts (`bot.feeds`);
    `next_check_at` when the nudge runner should look at this owner again; `taught` the topics
    taught so far. The stored document keeps these names as its keys.
    """

    owner_id: str
    channel: str
    language: str
    state: str
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    prompt: str | None = None
    editing: bool = False
    seen_events: list[str] = field(default_factory=list)
    completed_at: str | None = None
    taught: list[str] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    waiting: Waiting = field(default_factory=Waiting)
    reply_waits: list[ReplyWait] = field(default_factory=list)
    prefs: Settings = field(default_factory=Settings)
    nudges: ReminderState = field(default_factory=ReminderState)
    outbox: list[OutboxEntry] = field(default_factory=list)
    feeds: list[FeedState] = field(default_factory=list)
    active: bool = True
    next_check_at: str | None = None
    created_at: str = ""
    updated_at: str = ""
    came_from: str | None = None
    """Where the owner came from, when their first `/start` said (a Telegram deep link's payload)."""

    def to_doc(self) -> dict[str, Any]:
        """The record as a JSON-ready document, with its schema version."""
        doc: dict[str, Any] = {"v": SCHEMA_VERSION, **vars(self)}
        if self.came_from is None:  # kept out of records that never had it
            del doc["came_from"]
        doc["posts"] = [p.to_doc() for p in self.posts]
        doc["waiting"] = self.waiting.to_doc()
        doc["prefs"] = self.prefs.to_doc()
        doc["nudges"] = self.nudges.to_doc()
        doc["outbox"] = [e.to_doc() for e in self.outbox]
        if not self.taught:
            del doc["taught"]  # as an owner before any lesson was stored
        doc["feeds"] = [f.to_doc() for f in self.feeds]
        if not self.feeds:
            del doc["feeds"]  # an owner without feeds is stored as before feeds existed
        doc["reply_waits"] = [vars(w).copy() for w in self.reply_waits]
        if not self.reply_waits:
            del doc["reply_waits"]  # likewise before any wait for a reply ended
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> OwnerRecord:
        """Rebuild a record from a stored document, migrating an older one."""
        doc = migrate(dict(doc))
        doc.pop("v", None)
        owner = str(doc.get("owner_id"))
        try:
            doc["posts"] = [Post(**_fields(Post, p, owner)) for p in doc.get("posts") or []]
            doc["waiting"] = Waiting.from_doc(doc.get("waiting") or {}, owner)
            waits = doc.get("reply_waits") or []
            doc["reply_waits"] = [ReplyWait(**_fields(ReplyWait, w, owner)) for w in waits]
            doc["prefs"] = Settings.from_doc(doc.get("prefs") or {}, owner)
            doc["nudges"] = ReminderState.from_doc(doc.get("nudges") or {}, owner)
            doc["outbox"] = [OutboxEntry.from_doc(e, owner) for e in doc.get("outbox") or []]
            doc["feeds"] = [FeedState.from_doc(f) for f in doc.get("feeds") or []]
            record = cls(**doc)
        except (TypeError, KeyError, ValueError) as exc:
            raise StoreError(f"record of {doc.get('owner_id')!r} has unexpected fields: {exc}") from exc
        if not isinstance(record.answers, dict) or not isinstance(record.history, list):
            raise StoreError(f"record of {record.owner_id!r} is malformed")
        return record

    def remember_event(self, event_id: str) -> bool:
        """Note an event id; return False when it was already seen."""
        if event_id in self.seen_events:
            return False
        self.seen_events.append(event_id)
        del self.seen_events[:-MAX_SEEN_EVENTS]
        return True


class Store(ABC):
    """Keeps owner records. One writer process; `lock` serialises one owner's events inside it."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.process = uuid.uuid4().hex
        """This process's id: leases it takes on outbox entries name it, so others can tell it died."""

    def alive(self, process: str) -> bool:
        """Whether a process that holds leases still runs: one process alone uses this store."""
        return process == self.process

    @contextmanager
    def lock(self, owner_id: str) -> Iterator[None]:
        """Hold the owner's lock: their events are handled one at a time, others' concurrently."""
        with self._locks_guard:
            owner_lock = self._locks.setdefault(owner_id, threading.Lock())
        with owner_lock:
            yield

    @abstractmethod
    def get(self, owner_id: str) -> OwnerRecord | None:
        """Return the owner's record, or None for an owner never seen."""

    @abstractmethod
    def put(self, record: OwnerRecord) -> None:
        """Keep the record durably; when this returns, it survives a crash."""

    @abstractmethod
    def delete(self, owner_id: str) -> bool:
        """Erase everything about the owner; tell whether there was anything."""

    @abstractmethod
    def owner_ids(self) -> Iterator[str]:
        """Yield the id of every owner on file."""

    quick_notes = False
    """Whether `note_delivered` neither waits for the disk nor for an owner's lock, so the
    outbox may call it on the event loop (the TinyDB store keeps its notes in a log)."""

    def note_delivered(self, owner_id: str, entry_id: str, delivered: int) -> int:
        """Note that the first `delivered` messages of an outbox entry went out; drop it once all did.

        The note survives a crash of the process, and every `get` afterwards sees it. Return how
        many other entries wait in the owner's outbox. This default rewrites the owner's record.
        """
        with self.lock(owner_id):
            record = self.get(owner_id)
            if record is None:
                return 0
            found = next((e for e in record.outbox if e.id == entry_id), None)
            if found is None:
                return len(record.outbox)
            found.delivered = delivered
            record.outbox = [e for e in record.outbox if not e.done]
            self.put(record)
            return sum(1 for e in record.outbox if e.id != entry_id)

    def update_many(self, owner_ids: list[str], change: Callable[[OwnerRecord], bool]) -> int:
        """Apply `change` to each owner's record under their lock, keeping those it says changed.

        Used by the nudge sweep. An unreadable record is skipped (and logged); return how many
        records were looked at. Stores may batch this (PostgreSQL claims many in one transaction).
        """
        seen = 0
        for owner_id in owner_ids:
            with self.lock(owner_id):
                try:
                    record = self.get(owner_id)
                except StoreError:
                    log.exception("cannot read owner %s; skipped", owner_id)
                    continue
                if record is None:
                    continue
                seen += 1
                if change(record):
                    self.put(record)
        return seen

    @abstractmethod
    def get_installation(self, key: str) -> dict[str, Any] | None:
        """Return a chat platform's installation (a Slack workspace's bot token and ids), or None."""

    @abstractmethod
    def put_installation(self, key: str, doc: dict[str, Any]) -> None:
        """Keep an installation durably, replacing the one under `key`."""

    @abstractmethod
    def delete_installation(self, key: str) -> bool:
        """Forget an installation (the app was uninstalled); tell whether there was one."""

    def due_owners(self, now: str) -> list[str]:
        """Owners the nudge runner should look at: next check passed, or messages to deliver.

        `now` is an ISO-8601 UTC time. This default reads every record; stores keep an index.
        """
        found = []
        for owner_id in self.owner_ids():
            try:
                record = self.get(owner_id)
            except StoreError:
                continue
            if record and (record.outbox or (record.next_check_at and record.next_check_at <= now)):
                found.append(owner_id)
        return found

    def check(self) -> None:
        """Raise when the store cannot serve a read now (for `/healthz`)."""
        next(iter(self.owner_ids()), None)

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Release files or connections."""
