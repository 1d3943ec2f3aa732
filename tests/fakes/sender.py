"""A fake channel for delivery tests: records what it is sent, can fail on cue, enforces a cap."""

from __future__ import annotations

import asyncio
import time
from collections import deque

from bot.events import Reply
from bot.outbox import RetryLater, TransientError, Unreachable


class FakeSender:
    """Accepts messages like a platform would; `failures` is a queue of errors to raise first."""

    def __init__(self, cap_per_second: float | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures: deque[Exception] = deque()
        self.unreachable: set[str] = set()
        self.cap = cap_per_second
        self.over_cap = 0
        self.calls = 0
        self._window: deque[float] = deque()

    def scope(self, owner_id: str) -> str:
        return "fake"

    async def send(self, owner_id: str, reply: Reply) -> None:
        self.calls += 1
        await asyncio.sleep(0)
        if owner_id in self.unreachable:
            raise Unreachable(owner_id)
        if self.failures:
            raise self.failures.popleft()
        if self.cap is not None:
            now = time.monotonic()
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            if len(self._window) >= self.cap:
                self.over_cap += 1
                raise RetryLater(1.0)
            self._window.append(now)
        self.sent.append((owner_id, reply.text))


__all__ = ["FakeSender", "RetryLater", "TransientError"]
