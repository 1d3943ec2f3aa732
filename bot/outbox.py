"""The one delivery path: everything the coach owes an owner, through their channel's sender.

The outbox holds the replies to each event (the engine keeps them there in the same write as
the answer), the reminders claimed by the sweep and the data exports; every channel sends all
of them through here, so there is one retry policy, one rate limiter per platform budget and one
way of handling a platform's refusal. A channel implements `Sender`: it sends one message in one
call and translates its platform's errors into `RetryLater` (a 429), `TransientError` (a
timeout, a reset, a 5xx), `Unreachable` (blocked, left, uninstalled) or `Refused` (this message
is wrong); nothing else retries.

Each message of an entry is marked delivered as soon as the channel accepts it, so a retry or a
restart resumes after the last one delivered. Several deliverers may run at once: before
sending, one takes a lease on the owner's waiting entries under the owner's lock; others skip
them until the lease is given back, expires, or its process is gone (`Store.alive`). Inside a
process one `Outbox` is shared by the conversation and the reminders, and delivers one owner at
a time.

Rate limits: one sliding window per budget the sender names (`Sender.scope`: a bot token, a
Slack workspace), with priorities (replies to an owner who is waiting go before any reminder),
and one per chat. Retries: what a 429 asks, else exponential backoff, `Limits.attempts` tries;
then the entry is given back and the outbox tries that owner again by itself a little later
(`Limits.retry_in`, doubling), so a passing fault delays an answer by seconds, not until the
next sweep. An `Unreachable` owner is marked inactive and their waiting messages are dropped,
once: no call is made for them afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from bot.events import InboundEvent, Reply
from bot.ratelimit import BROADCAST, URGENT, SlidingWindowLimiter
from bot.store.base import Lease, OutboxEntry, OwnerRecord, Store

log = logging.getLogger(__name__)
T = TypeVar("T")
LEASE_SECONDS = 300.0
"""How long a deliverer may hold an owner's waiting messages before another one takes over."""
_BROADCAST_THREADS = ThreadPoolExecutor(2, thread_name_prefix="outbox-broadcast")
"""Threads for the store's work of reminders, apart from those the conversations use."""
_CONVERSATION_THREADS = ThreadPoolExecutor(2, thread_name_prefix="conversation")
"""Threads for the engine and the store's work of owners who are talking to the coach.

Two, not asyncio's default of six: the work is Python holding the interpreter lock, save the
file writes; more threads only fight over that lock (measured: a sixth more CPU per update in
`benchmarks/telegram_updates.py`, most of it in the kernel), while two still let one owner's
write wait for the disk while another owner's answer is worked out."""
REPLY = "reply"
"""The kind of the entries holding the replies to an event: someone is waiting for them."""


class RetryLater(Exception):
    """The platform asked to wait `after` seconds (HTTP 429)."""

    def __init__(self, after: float) -> None:
        super().__init__(f"retry after {after} s")
        self.after = after


class TransientError(Exception):
    """A failure worth retrying: a timeout, a reset connection, a 5xx, an answer that is not JSON."""


class Unreachable(Exception):
    """The owner cannot be reached any more (blocked the bot, left, uninstalled)."""


class Refused(Exception):
    """The platform refuses this message itself (a 400): sending it again would not help."""


class Sender(Protocol):
    """What a channel does to deliver one message to one owner, in one call.

    A sender may also have `async def ready(owner_id, reply)`, awaited before the send takes
    its place under the limits: what takes long and is not the send (a picture to draw, or
    drawn ahead and not there yet) is done then, and holds no one else's place.
    """

    def scope(self, owner_id: str) -> str:
        """The platform budget the owner's messages count against: a bot token, a workspace."""
        ...

    async def send(self, owner_id: str, reply: Reply) -> None:
        """Deliver `reply` once; raise RetryLater, TransientError, Unreachable or Refused on failure."""
        ...


@dataclass(frozen=True)
class Limits:
    """How fast a channel accepts messages, and how hard to try.

    `per_second` is the budget of one scope (a token, a workspace); one chat gets at most
    `per_chat_burst` reminders in any `per_chat_burst / per_chat_per_second` seconds (an answer
    to an owner who is waiting is a short burst, which the platforms allow, and is not held back).
    """

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    attempts: int = 5
    max_backoff: float = 2.0
    retry_in: float = 2.0


def _wait(max_backoff: float) -> Callable[[RetryCallState], float]:
    """Wait what a 429 asks, or back off exponentially up to `max_backoff` seconds."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryLater):
            return float(error.after)
        return float(min(max_backoff, 0.25 * 2 ** (state.attempt_number - 1)))

    return wait


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("delivery failed (%r): try %d again in %.1f s", error, state.attempt_number + 1, wait)


def _limiter(per_second: float, burst: int = 0) -> SlidingWindowLimiter:
    """At most `per_second` sends in any one second (one every 1/rate s below one per second)."""
    if burst:
        return SlidingWindowLimiter(burst, burst / per_second)
    if per_second >= 1:
        return SlidingWindowLimiter(int(per_second), 1.0)
    return SlidingWindowLimiter(1, 1 / per_second)


class Outbox:
    """Delivers every owner's outbox through the sender of their channel."""

    def __init__(self, store: Store, senders: Mapping[str, Sender], limits: Mapping[str, Limits]) -> None:
        self.store = store
        self.senders = dict(senders)
        self.limits = dict(limits)
        self.deliverer = new_holder(store)
        self._overall: dict[tuple[str, str], SlidingWindowLimiter] = {}
        self._per_chat: dict[str, SlidingWindowLimiter] = {}
        self._owners: dict[str, tuple[asyncio.Lock, int]] = {}
        self._again: dict[str, asyncio.Task[None]] = {}
        self._rounds: dict[str, int] = {}
        self._later: set[asyncio.Task[None]] = set()

    def add(self, channel: str, sender: Sender, limits: Limits) -> None:
        """Deliver `channel`'s messages through `sender` too."""
        self.senders[channel] = sender
        self.limits[channel] = limits

    # --- limits and the retry policy ----------------------------------------------------------

    def _scope_limiter(self, channel: str, owner_id: str) -> SlidingWindowLimiter:
        key = (channel, self.senders[channel].scope(owner_id))
        limiter = self._overall.get(key)
        if limiter is None:
            limiter = self._overall[key] = _limiter(self.limits[channel].per_second)
        return limiter

    def _chat_limiter(self, channel: str, owner_id: str) -> SlidingWindowLimiter:
        limiter = self._per_chat.get(owner_id)
        if limiter is None:
            if len(self._per_chat) > 10_000:  # forget the chats quiet for a while
                self._per_chat = {o: lim for o, lim in self._per_chat.items() if lim.queued}
            limits = self.limits[channel]
            limiter = _limiter(limits.per_chat_per_second, max(1, limits.per_chat_burst))
            self._per_chat[owner_id] = limiter
        return limiter

    async def send_now(self, channel: str, owner_id: str, reply: Reply, priority: int = URGENT) -> bool:
        """Send one message that is not kept (a notice about what the owner did), under the limits.

        Tell whether it went out; an unreachable owner is marked so.
        """
        try:
            await self._send(channel, owner_id, reply, priority)
        except Unreachable:
            await self._io(URGENT, mark_unreachable, self.store, owner_id)
        except (RetryLater, TransientError, Refused) as error:
            log.warning("a notice to %s was not sent: %r", owner_id, error)
        else:
            return True
        return False

    async def _send(self, channel: str, owner_id: str, reply: Reply, priority: int) -> None:
        limits, sender = self.limits[channel], self.senders[channel]
        ready = getattr(sender, "ready", None)
        if ready is not None:
            await ready(owner_id, reply)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((RetryLater, TransientError)),
            wait=_wait(limits.max_backoff),
            stop=stop_after_attempt(limits.attempts),
            before_sleep=_log_retry,
            reraise=True,
        ):
            with attempt:
                async with contextlib.AsyncExitStack() as slots:
                    if priority != URGENT:  # an owner waiting gets the answer at once: a short burst
                        await slots.enter_async_context(self._chat_limiter(channel, owner_id).slot(priority))
                    await slots.enter_async_context(self._scope_limiter(channel, owner_id).slot(priority))
                    await sender.send(owner_id, reply)

    # --- delivering an owner's outbox ---------------------------------------------------------

    async def deliver_all(self, owners: list[str], concurrency: int = 64) -> int:
        """Deliver the outboxes of `owners` (a sweep: reminders); return how many messages went out."""
        gate = asyncio.Semaphore(concurrency)

        async def one(owner_id: str) -> int:
            async with gate:
                return await self.deliver(owner_id)

        return sum(await asyncio.gather(*(one(o) for o in owners)))

    async def deliver(self, owner_id: str, priority: int = BROADCAST) -> int:
        """Deliver one owner's outbox under a lease; again if more was claimed meanwhile.

        Replies go out as `URGENT` whatever `priority` says; a channel answering an owner passes
        `URGENT` for the rest too (the owner is there). Return how many messages went out.
        """
        lock, users = self._owners.get(owner_id) or (asyncio.Lock(), 0)
        self._owners[owner_id] = (lock, users + 1)
        try:
            async with lock:
                sent = 0
                for _ in range(3):
                    delivered, more = await self._deliver_leased(owner_id, priority)
                    sent += delivered
                    if not more:
                        break
                return sent
        finally:
            lock, users = self._owners[owner_id]
            if users <= 1:
                del self._owners[owner_id]
            else:
                self._owners[owner_id] = (lock, users - 1)

    async def deliver_replies(self, owner_id: str, entry_id: str, replies: list[Reply]) -> int:
        """Send the replies the engine just kept under this deliverer's lease, then anything else due.

        The engine wrote them leased to `deliverer` with the answer, so they go out at once,
        without reading them back; each is marked as it goes out, as in `deliver`.
        """
        if not replies:
            return await self.deliver(owner_id, URGENT)
        channel = owner_id.split(":", 1)[0]
        if channel not in self.senders:
            return await self.deliver(owner_id, URGENT)
        lock, users = self._owners.get(owner_id) or (asyncio.Lock(), 0)
        self._owners[owner_id] = (lock, users + 1)
        try:
            async with lock:
                sent, stopped, others = await self._send_entry(
                    owner_id, channel, entry_id, replies, 0, URGENT
                )
                if stopped:
                    await self._io(URGENT, self._release, owner_id)
        finally:
            lock, users = self._owners[owner_id]
            if users <= 1:
                del self._owners[owner_id]
            else:
                self._owners[owner_id] = (lock, users - 1)
        if others and not stopped:  # reminders waiting too: the owner is here, they go now
            sent += await self.deliver(owner_id, URGENT)
        return sent

    async def _send_entry(
        self, owner_id: str, channel: str, entry_id: str, replies: list[Reply], start: int, priority: int
    ) -> tuple[int, bool, int]:
        """Send one entry's messages from `start`, marking each as it goes out.

        Return how many went out, whether it stopped short (an unreachable owner, a platform
        still failing after the retries), and how many other entries wait in the outbox.
        """
        sent, others = 0, 0
        for index in range(start, len(replies)):
            try:
                await self._send(channel, owner_id, replies[index], priority)
            except Unreachable as error:
                log.info("owner %s unreachable (%s): messages dropped", owner_id, error)
                await self._io(priority, mark_unreachable, self.store, owner_id)
                return sent, True, 0
            except Refused as error:
                log.error("%s refused a message to %s (%s); it is dropped", channel, owner_id, error)
            except (RetryLater, TransientError) as error:
                attempts = self.limits[channel].attempts
                log.warning("delivery to %s postponed after %d tries: %r", owner_id, attempts, error)
                self._try_again_later(owner_id, channel)
                return sent, True, 0
            except Exception:  # a fault of ours: keep the message, say it loudly
                log.exception("delivery to %s failed; kept for the next round", owner_id)
                return sent, True, 0
            else:
                sent += 1
            if self.store.quick_notes:  # a line in a log: no thread, no lock, no wait for the disk
                others = self._mark_delivered(owner_id, entry_id, index + 1)
            else:
                others = await self._io(priority, self._mark_delivered, owner_id, entry_id, index + 1)
        self._rounds.pop(owner_id, None)
        return sent, False, others

    async def _deliver_leased(self, owner_id: str, priority: int) -> tuple[int, bool]:
        """Deliver the entries waiting when the lease was taken; tell whether new ones came."""
        leased = await self._io(priority, self._lease, owner_id)
        if leased is None:
            return 0, False
        channel, entries = leased
        if not entries:  # another deliverer is sending to this owner: what follows waits, in order
            self._try_again_later(owner_id, channel)
            return 0, False
        sent = 0
        try:
            for entry in entries:
                urgency = URGENT if entry.kind == REPLY else priority
                done, stopped, _ = await self._send_entry(
                    owner_id, channel, entry.id, entry.replies, entry.delivered, urgency
                )
                sent += done
                if stopped:
                    break
        finally:
            more = await self._io(priority, self._release, owner_id)
        return sent, more

    async def in_thread(self, work: Callable[..., T], *args: Any) -> T:
        """Run the engine's or the store's work for an owner who is talking, off the event loop."""
        return await self._io(URGENT, work, *args)

    async def _io(self, priority: int, work: Callable[..., T], *args: Any) -> T:
        """Run the store's work of a delivery off the event loop.

        A push's bookkeeping (leases and marks of thousands of reminders) runs on threads of its
        own, so an owner's answer (the engine, its delivery) never waits behind it for a thread.
        """
        executor = _BROADCAST_THREADS if priority == BROADCAST else _CONVERSATION_THREADS
        return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(work, *args))

    def _try_again_later(self, owner_id: str, channel: str) -> None:
        """Deliver this owner again soon (sooner than the next sweep), waiting longer each time."""
        if owner_id in self._again:
            return
        rounds = self._rounds.get(owner_id, 0)
        self._rounds[owner_id] = rounds + 1
        delay = min(60.0, self.limits[channel].retry_in * 2**rounds)

        async def later() -> None:
            await asyncio.sleep(delay)
            self._again.pop(owner_id, None)  # a new failure plans the next try
            await self.deliver(owner_id)

        task = asyncio.get_running_loop().create_task(later())
        self._again[owner_id] = task
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def close(self) -> None:
        """Stop the deliveries planned for later (what they would send stays in the outbox)."""
        tasks = list(self._later)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _lease(self, owner_id: str) -> tuple[str, list[OutboxEntry]] | None:
        """Take the owner's waiting messages for this deliverer; none while another one holds some.

        Messages go out in order, so when another deliverer holds some, this one waits (an
        empty list: try again soon). An owner marked unreachable has theirs dropped here, unsent.
        """
        with self.store.lock(owner_id):
            record = self.store.get(owner_id)
            if record is None or not record.outbox or record.channel not in self.senders:
                return None
            if not record.active:
                record.outbox = []
                self.store.put(record)
                return None
            if any(held_elsewhere(self.store, e, self.deliverer) for e in record.outbox):
                return record.channel, []
            now = time.time()
            if not all(
                e.lease and e.lease.holder == self.deliverer and e.lease.until > now + 60
                for e in record.outbox
            ):
                lease = Lease(self.deliverer, now + LEASE_SECONDS)
                for entry in record.outbox:
                    entry.lease = lease
                self.store.put(record)
            return record.channel, record.outbox

    def _mark_delivered(self, owner_id: str, entry_id: str, delivered: int) -> int:
        return mark_delivered(self.store, owner_id, entry_id, delivered)

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


def mark_unreachable(store: Store, owner_id: str) -> None:
    """Mark an owner the channel cannot reach as inactive and drop what waits for them, once.

    No reminder is claimed for them and no call is made for them until they write again.
    """
    with store.lock(owner_id):
        record = store.get(owner_id)
        if record is not None and (record.active or record.outbox or record.next_check_at):
            record.active = False
            record.next_check_at = None
            record.outbox = []
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


def mark_delivered(store: Store, owner_id: str, entry_id: str, delivered: int) -> int:
    """Note that the first `delivered` messages of an entry went out; drop the entry once all did.

    Return how many other entries wait in the owner's outbox (`Store.note_delivered`).
    """
    return store.note_delivered(owner_id, entry_id, delivered)


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
