"""Delivery of what the coach owes owners through their channels: rate-limited, retried, never dropped.

The outbox holds reminders claimed by the sweep and the replies to each event, which the engine
keeps there in the same write as the answer. A channel adapter implements `Sender`. Each message
of an entry is marked delivered as soon as the channel accepts it, so a retry or a restart
resumes after the last one delivered. Several deliverers may run at once: before sending, one
takes a lease on the owner's waiting entries, under the owner's lock; the others skip them until
the lease is given back, expires, or its process is gone (`Store.alive`: a process killed
mid-delivery leaves leases that count for nothing), so each message goes out once. Limits are
per channel (overall and per chat, sliding windows); a `RetryLater` from the channel (a 429)
waits what the platform asks, other transient errors back off exponentially (`tenacity`); after
the last attempt the entry stays in the outbox for the next round. An `Unreachable` owner
(blocked the bot, left) is marked inactive and nudged no more.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from bot.events import InboundEvent, Reply
from bot.ratelimit import SlidingWindowLimiter
from bot.store.base import Lease, OutboxEntry, OwnerRecord, Store

log = logging.getLogger(__name__)
LEASE_SECONDS = 300.0
"""How long a deliverer may hold an owner's waiting messages before another one takes over."""


class RetryLater(Exception):
    """The platform asked to wait `after` seconds (HTTP 429)."""

    def __init__(self, after: float) -> None:
        super().__init__(f"retry after {after} s")
        self.after = after


class TransientError(Exception):
    """A failure worth retrying: a timeout, a reset connection, a 5xx."""


class Unreachable(Exception):
    """The owner cannot be reached any more (blocked the bot, left, uninstalled)."""


class Sender(Protocol):
    """What a channel does to deliver one message to one owner."""

    async def send(self, owner_id: str, reply: Reply) -> None:
        """Deliver `reply`; raise RetryLater, TransientError or Unreachable on failure."""
        ...


@dataclass(frozen=True)
class Limits:
    """How fast a channel accepts messages: overall and per chat, per second."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    attempts: int = 5
    max_backoff: float = 30.0


def _wait(max_backoff: float) -> Callable[[RetryCallState], float]:
    """Wait what a 429 asks, or back off exponentially up to `max_backoff` seconds."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryLater):
            return float(error.after)
        return float(min(max_backoff, 0.5 * 2 ** (state.attempt_number - 1)))

    return wait


def _limiter(per_second: float) -> SlidingWindowLimiter:
    """At most `per_second` sends in any one second (one every 1/rate s below one per second)."""
    if per_second >= 1:
        return SlidingWindowLimiter(int(per_second), 1.0)
    return SlidingWindowLimiter(1, 1 / per_second)


class Outbox:
    """Delivers every owner's outbox through the sender of their channel."""

    def __init__(self, store: Store, senders: Mapping[str, Sender], limits: Mapping[str, Limits]) -> None:
        self.store = store
        self.senders = senders
        self.limits = limits
        self._overall = {ch: _limiter(lim.per_second) for ch, lim in limits.items()}
        self._per_chat: dict[str, SlidingWindowLimiter] = {}
        self.deliverer = new_holder(store)

    def _chat_limiter(self, channel: str, owner_id: str) -> SlidingWindowLimiter:
        limiter = self._per_chat.get(owner_id)
        if limiter is None:
            limiter = _limiter(self.limits[channel].per_chat_per_second)
            self._per_chat[owner_id] = limiter
        return limiter

    async def deliver_all(self, owners: list[str], concurrency: int = 64) -> int:
        """Deliver the outboxes of `owners`; return how many messages went out."""
        gate = asyncio.Semaphore(concurrency)

        async def one(owner_id: str) -> int:
            async with gate:
                return await self.deliver(owner_id)

        return sum(await asyncio.gather(*(one(o) for o in owners)))

    async def deliver(self, owner_id: str) -> int:
        """Deliver one owner's outbox under a lease; again if more was claimed meanwhile."""
        sent = 0
        for _ in range(3):
            delivered, more = await self._deliver_leased(owner_id)
            sent += delivered
            if not more:
                break
        return sent

    async def _deliver_leased(self, owner_id: str) -> tuple[int, bool]:
        """Deliver the entries waiting when the lease was taken; tell whether new ones came."""
        record = await asyncio.to_thread(self._lease, owner_id)
        if record is None:
            return 0, False
        sender, limits = self.senders[record.channel], self.limits[record.channel]
        sent = 0
        try:
            for entry in list(record.outbox):
                for index in range(entry.delivered, len(entry.replies)):
                    reply = entry.replies[index]
                    try:
                        await self._send(sender, limits, record.channel, owner_id, reply)
                    except Unreachable:
                        log.info("owner %s is unreachable on %s: marked inactive", owner_id, record.channel)
                        await asyncio.to_thread(mark_unreachable, self.store, owner_id)
                        return sent, False
                    except (RetryLater, TransientError) as error:
                        log.warning(
                            "delivery to %s postponed after %d attempts: %s", owner_id, limits.attempts, error
                        )
                        return sent, False
                    sent += 1
                    await asyncio.to_thread(self._mark_delivered, owner_id, entry.id, index + 1)
        finally:
            more = await asyncio.to_thread(self._release, owner_id)
        return sent, more

    def _lease(self, owner_id: str) -> OwnerRecord | None:
        """Take the owner's waiting messages for this deliverer, unless another one holds them."""
        with self.store.lock(owner_id):
            record = self.store.get(owner_id)
            if record is None or not record.outbox or record.channel not in self.senders:
                return None
            if any(held_elsewhere(self.store, e, self.deliverer) for e in record.outbox):
                return None
            lease = Lease(self.deliverer, time.time() + LEASE_SECONDS)
            for entry in record.outbox:
                entry.lease = lease
            self.store.put(record)
            return record

    def _release(self, owner_id: str) -> bool:
        """Give the lease back; tell whether entries claimed meanwhile are waiting."""
        with self.store.lock(owner_id):
            record = self.store.get(owner_id)
            if record is None:
                return False
            mine = [e for e in record.outbox if e.lease is not None and e.lease.holder == self.deliverer]
            claimed_meanwhile = any(e.lease is None for e in record.outbox)
            for entry in mine:
                entry.lease = None
            if mine:
                self.store.put(record)
            return claimed_meanwhile

    async def _send(self, sender: Sender, limits: Limits, channel: str, owner_id: str, reply: Reply) -> None:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((RetryLater, TransientError)),
            wait=_wait(limits.max_backoff),
            stop=stop_after_attempt(limits.attempts),
            reraise=True,
        ):
            with attempt:
                async with self._chat_limiter(channel, owner_id), self._overall[channel]:
                    await sender.send(owner_id, reply)

    def _mark_delivered(self, owner_id: str, entry_id: str, delivered: int) -> None:
        mark_delivered(self.store, owner_id, entry_id, delivered)


def mark_unreachable(store: Store, owner_id: str) -> None:
    """Mark an owner the channel cannot reach as inactive: no more nudges until they write."""
    with store.lock(owner_id):
        record = store.get(owner_id)
        if record is not None:
            record.active = False
            record.next_check_at = None
            store.put(record)


def new_entry(
    entry_id: str, kind: str, at: str, replies: Iterable[Reply], holder: str | None = None
) -> OutboxEntry:
    """An outbox entry: messages to deliver in order, none gone out yet; leased to `holder`."""
    lease = Lease(holder, time.time() + LEASE_SECONDS) if holder is not None else None
    return OutboxEntry(entry_id, kind, at, list(replies), lease=lease)


def new_holder(store: Store) -> str:
    """A deliverer's id: which process it runs in, and which deliverer of that process."""
    return f"{store.process}/{uuid.uuid4().hex}"


def held_elsewhere(store: Store, waiting: OutboxEntry, holder: str) -> bool:
    """Whether another deliverer holds the entry: its lease runs, and so does its process.

    A process killed while sending leaves leases behind; they count for nothing once the
    store says the process is gone, so its messages go out on the next round.
    """
    lease = waiting.lease
    if lease is None or lease.holder == holder or lease.until <= time.time():
        return False
    return store.alive(lease.process)


def reply_entry_id(event: InboundEvent) -> str:
    """The outbox id of the replies to one event: the same for a redelivery of that event."""
    return f"reply|{event.event_id or event.at.isoformat()}"


def mark_delivered(store: Store, owner_id: str, entry_id: str, delivered: int) -> None:
    """Note that the first `delivered` messages of an entry went out; drop the entry once all did."""
    with store.lock(owner_id):
        record = store.get(owner_id)
        found = _find(record, entry_id)
        if record is None or found is None:
            return
        found.delivered = delivered
        record.outbox = [e for e in record.outbox if not e.done]
        store.put(record)


def give_back(store: Store, owner_id: str, entry_id: str, drop: bool = False) -> None:
    """End a lease on an entry: it waits for the next round, or with `drop` it is thrown away."""
    with store.lock(owner_id):
        record = store.get(owner_id)
        found = _find(record, entry_id)
        if record is None or found is None:
            return
        if drop:
            record.outbox.remove(found)
        found.lease = None
        store.put(record)


def _find(record: OwnerRecord | None, entry_id: str) -> OutboxEntry | None:
    """The owner's outbox entry with this id, if it is still there."""
    return next((e for e in record.outbox if e.id == entry_id), None) if record else None
