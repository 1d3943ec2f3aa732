"""An outage, told once: a warning when something starts failing, one when it is back.

Between tries, a back-off (1 s, doubling, up to a ceiling) instead of a line per try.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


def reason(error: BaseException) -> str:
    """A short description of a failure: its kind and first line (the log redacts secrets)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


class Outage:
    """The state of one thing that may fail (the database, a platform): down since when, next wait."""

    def __init__(self, what: str, first: float = 1.0, ceiling: float = 60.0) -> None:
        self.what = what
        self.first = first
        self.ceiling = max(first, ceiling)
        self.since: float | None = None
        self.failures = 0

    @property
    def down(self) -> bool:
        """Whether the last try failed."""
        return self.since is not None

    def failed(self, error: BaseException) -> float:
        """Note a failed try (logged on the first one only); return the seconds to wait before the next."""
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s: %s; trying again with back-off", self.what, reason(error))
        else:
            log.debug("%s: still failing (%s)", self.what, reason(error))
        self.failures += 1
        return float(min(self.ceiling, self.first * 2 ** (self.failures - 1)))

    def recovered(self, at: float | None = None) -> None:
        """Note a successful try (at `at`, a `time.monotonic()`, or now); logged if it ends an outage."""
        if self.since is not None:
            log.warning("%s: back after %.0f s", self.what, max(0.0, (at or time.monotonic()) - self.since))
        self.since, self.failures = None, 0
