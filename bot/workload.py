"""How many hours a week a plan asks for, against the hours the owner has, and a version that fits.

The articles give no minutes per post: the figures here are the coach's own estimates, said as
such to the owner, and the owner can change the plan's numbers with /plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MINUTES_FIRST_NETWORK = 30
"""Writing a post, taking its photo and publishing it on one network (the coach's estimate)."""
MINUTES_EACH_OTHER_NETWORK = 10
"""Adapting the same post to one more network."""
REPLY_MINUTES = {"within_2h": 140, "same_day": 70, "within_24h": 70, "within_48h": 45}
"""Minutes a week spent replying, by reply-time target (20 or 10 minutes a day, or less)."""
LISTENING_MINUTES = {"daily": 70, "twice_weekly": 40, "weekly": 30}
"""Minutes a week spent listening (reading what is said about you and your trade)."""
LIGHTER_REPLY = {"within_2h": "same_day"}
LIGHTER_LISTENING = {"daily": "weekly", "twice_weekly": "weekly"}


@dataclass(frozen=True)
class Workload:
    """A plan's weekly minutes, part by part."""

    posting: int
    replies: int
    listening: int

    @property
    def total(self) -> int:
        """All the minutes a week."""
        return self.posting + self.replies + self.listening


@dataclass(frozen=True)
class Fit:
    """The plan's weekly minutes against the owner's, and changes that make it fit."""

    needed: Workload
    available: int
    lighter: dict[str, Any] = field(default_factory=dict)
    lighter_needed: Workload | None = None

    @property
    def fits(self) -> bool:
        """Whether the plan holds in the hours the owner gave."""
        return self.needed.total <= self.available


def minutes_per_post(networks: int) -> int:
    """The minutes one post takes on `networks` networks (the coach's estimate)."""
    return MINUTES_FIRST_NETWORK + MINUTES_EACH_OTHER_NETWORK * max(0, networks - 1)


def workload(networks: int, cadence: float, reply_time: str | None, listening: str | None) -> Workload:
    """The minutes a week for `cadence` posts on `networks` networks, replies and listening."""
    return Workload(
        round(cadence * minutes_per_post(networks)),
        REPLY_MINUTES.get(reply_time or "", 0),
        LISTENING_MINUTES.get(listening or "", 0),
    )


def fit(plan: dict[str, Any], hours: float) -> Fit:
    """Check a plan (`networks`, `cadence`, `reply_time`, `listening`) against `hours` a week.

    When it does not fit, lighten it the way a coach would, one change at a time until it fits:
    listening once a week, replies within the day, one network, then fewer posts (never under 1).
    When even that is too much, the lighter plan also asks for the hours it needs.
    """
    networks = list(plan.get("networks") or [])
    current: dict[str, Any] = {
        "networks": networks,
        "cadence": float(plan.get("cadence") or 1),
        "reply_time": plan.get("reply_time"),
        "listening": plan.get("listening"),
    }
    available = round(hours * 60)

    def minutes(p: dict[str, Any]) -> Workload:
        return workload(max(1, len(p["networks"])), p["cadence"], p["reply_time"], p["listening"])

    needed = minutes(current)
    if needed.total <= available:
        return Fit(needed, available)
    lighter = dict(current)
    steps = [
        ("listening", LIGHTER_LISTENING.get(lighter["listening"] or "")),
        ("reply_time", LIGHTER_REPLY.get(lighter["reply_time"] or "")),
        ("networks", networks[:1] if len(networks) > 1 else None),
    ]
    for key, value in steps:
        if minutes(lighter).total <= available:
            break
        if value is not None:
            lighter[key] = value
    while minutes(lighter).total > available and lighter["cadence"] > 1:
        lighter["cadence"] = max(1, math.ceil(lighter["cadence"]) - 1)
    changes = {k: v for k, v in lighter.items() if v != current[k]}
    if minutes(lighter).total > available:
        changes["hours"] = math.ceil(minutes(lighter).total / 30) / 2  # to the next half hour
    if "cadence" in changes:
        changes["cadence"] = int(changes["cadence"])
    return Fit(needed, available, changes, minutes(lighter))
