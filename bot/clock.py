"""The source of "now": injected everywhere so that time-dependent behaviour is testable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware datetime."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to, for tests and previews."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        """Return the frozen time."""
        return self._at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self._at += delta

    def set(self, at: datetime) -> None:
        """Jump to `at`."""
        self._at = at
