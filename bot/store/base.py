"""The store port: what the engine needs to keep each owner's progress."""

from __future__ import annotations

import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.store.schema import SCHEMA_VERSION, migrate

log = logging.getLogger(__name__)

MAX_SEEN_EVENTS = 200
"""How many recent event ids are kept per owner to drop a redelivered update."""


class StoreError(RuntimeError):
    """The store cannot give or keep a record; the message says which and why."""


@dataclass
class OwnerRecord:
    """Everything kept about one owner: where they are, what they answered, how they are doing.

    `posts` and `waiting` are what the owner logged since their plan (posts published, replies
    owed); `prefs` their reminder settings; `nudges` what was sent per kind and period;
    `outbox` the messages claimed but not yet delivered; `next_check_at` when the nudge runner
    should look at this owner again; `taught` the topics taught so far.
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
    posts: list[dict[str, Any]] = field(default_factory=list)
    waiting: dict[str, Any] = field(default_factory=dict)
    prefs: dict[str, Any] = field(default_factory=dict)
    nudges: dict[str, Any] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    active: bool = True
    next_check_at: str | None = None
    created_at: str = ""
    updated_at: str = ""

    def to_doc(self) -> dict[str, Any]:
        """The record as a JSON-ready document, with its schema version."""
        return {"v": SCHEMA_VERSION, **vars(self)}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> OwnerRecord:
        """Rebuild a record from a stored document, migrating an older one."""
        doc = migrate(dict(doc))
        doc.pop("v", None)
        try:
            record = cls(**doc)
        except TypeError as exc:
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

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Release files or connections."""
