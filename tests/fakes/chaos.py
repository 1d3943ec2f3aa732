"""Random faults for the fake platforms: a share of calls answered 500, held past the caller's
timeout, or served and then held (the caller retries what the platform took: a repeat).

`Chaos.on(...)` starts them, `Chaos.calm()` ends them and lets go at once of every call still
held (its connection is cut, as when a platform's hiccup ends), so a test can ask that
everything arrives within a few seconds of the calm. Seeded: a failing run can be replayed.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

from aiohttp import web

HOLD_MAX = 30.0
"""A held call is let go after this long at the latest."""


class Chaos:
    """Decides, call by call, whether a fake platform fails it, and how."""

    def __init__(self) -> None:
        self.errors = 0.0
        self.timeouts = 0.0
        self.late = 0.0
        self.methods: frozenset[str] | None = None
        self.injected: Counter[str] = Counter()
        self._random = random.Random(0)
        self._calm = asyncio.Event()
        self._calm.set()

    def on(
        self,
        errors: float,
        timeouts: float,
        late: float = 0.0,
        seed: int = 14,
        methods: set[str] | None = None,
    ) -> None:
        """Fail `errors` of the calls with a 500, hold `timeouts` of them without doing anything,
        and serve `late` of them but answer only once the caller gave up; `methods` None: all."""
        self.errors, self.timeouts, self.late = errors, timeouts, late
        self.methods = frozenset(methods) if methods is not None else None
        self._random = random.Random(seed)
        self._calm.clear()

    def calm(self) -> None:
        """No more faults; calls held now are cut off at once."""
        self.errors = self.timeouts = self.late = 0.0
        self._calm.set()

    @property
    def active(self) -> bool:
        return not self._calm.is_set()

    def draw(self, method: str) -> str | None:
        """What happens to this call: `"error"`, `"timeout"`, `"late"` or None (served)."""
        if not self.active or (self.methods is not None and method not in self.methods):
            return None
        roll = self._random.random()
        for kind, share in (("error", self.errors), ("timeout", self.timeouts), ("late", self.late)):
            if roll < share:
                self.injected[kind] += 1
                self.injected[f"{kind}:{method}"] += 1
                return kind
            roll -= share
        return None

    async def hold(self, request: web.Request) -> None:
        """Hold a call until its caller gives up, the calm comes, or HOLD_MAX passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HOLD_MAX
        while loop.time() < deadline and not self._calm.is_set():
            if request.transport is None or request.transport.is_closing():
                return
            try:
                await asyncio.wait_for(self._calm.wait(), 0.05)
            except TimeoutError:
                continue

    @staticmethod
    def cut(request: web.Request) -> Any:
        """End a held call without an answer (a reset connection)."""
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError
