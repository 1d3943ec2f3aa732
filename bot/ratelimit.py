"""A sliding-window rate limit with priorities, for asyncio: at most `limit` sends in any `period`.

One limiter stands for one platform budget (a Telegram bot token, a Slack workspace) and is
shared by everything the process sends on it, replies and reminders alike. Whoever waits is
served by priority, then first come first served: an answer to an owner who is waiting
(`URGENT`) goes out before any reminder of a weekly push (`BROADCAST`) still queued.

Why not a library's: `aiolimiter` (a leaky bucket, installed with python-telegram-bot's
rate-limiter extra) lets `rate + capacity` through in a window, so capping a one-second window
means a bucket of one, whose every late wake-up is lost throughput (86 % of a 100/s cap,
measured), and it serves waiters in no chosen order; `pyrate-limiter`'s sliding window polls
with a 50 ms buffer and has no priorities either. A log of the last `limit` send times does the
exact thing a platform's cap counts, and a heap of waiters gives the order.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator

URGENT = 0
"""An owner is waiting for this message: their answer."""
BROADCAST = 1
"""Nobody is waiting: a reminder, a push."""


class SlidingWindowLimiter:
    """Grants sends so that every window of `period` seconds holds at most `limit` of them.

    A send counts from the moment it is granted until it is over, then for `period` after that:
    requests that leave on time but reach the platform late (a busy event loop, a slow network)
    can then never bunch up into more than `limit` in one window at the platform's end.
    """

    def __init__(self, limit: int, period: float = 1.0) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a limit of at least 1 per positive period")
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()  # when each recent send was over
        self._sending = 0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def queued(self) -> int:
        """How many acquisitions wait now."""
        return sum(1 for _, _, future in self._waiting if not future.done())

    @contextlib.asynccontextmanager
    async def slot(self, priority: int = URGENT) -> AsyncIterator[None]:
        """Hold one send: granted when the window has room (the most urgent first), counted till done."""
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    async def acquire(self, priority: int = URGENT) -> None:
        """Wait for room in the window; `release` must follow once the send is over."""
        if not self._waiting and self._take():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        self._serve()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # granted, then given up: give it back
                self._sending -= 1
                self._serve()
            raise

    def release(self) -> None:
        """The send is over: it counts for one more `period`, from now."""
        self._sending -= 1
        self._times.append(time.monotonic())
        self._serve()

    def _take(self) -> bool:
        """Count one send now if the window has room."""
        now = time.monotonic()
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
        if len(self._times) + self._sending >= self.limit:
            return False
        self._sending += 1
        return True

    def _serve(self) -> None:
        """Grant the waiters the window has room for, then wake up when the oldest send leaves it."""
        while self._waiting:
            future = self._waiting[0][2]
            if future.done():  # its caller gave up
                heapq.heappop(self._waiting)
                continue
            if not self._take():
                break
            heapq.heappop(self._waiting)
            future.set_result(None)
        if self._waiting and self._timer is None and self._times:  # else a release will serve
            delay = max(0.0, self.period - (time.monotonic() - self._times[0]))
            self._timer = asyncio.get_running_loop().call_later(delay, self._wake)

    def _wake(self) -> None:
        self._timer = None
        self._serve()
