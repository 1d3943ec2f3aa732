"""The nudge rules: which reminders are due for an owner at a given moment, and when to look next.

Everything is computed from the stored record and the moment asked about, so a restart loses
nothing and a preview (`--at`, `--dry-run`) sees exactly what a real run would send. Each nudge
has a period key; a kind is sent at most once per period, and only the latest period counts, so
a long downtime yields at most one nudge per kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.flows import Flows
from bot.nudges.prefs import Prefs
from bot.store.base import OwnerRecord

CADENCE, REPLIES, WEEKLY, PAUSED = "cadence", "replies", "weekly", "paused"
KINDS = (CADENCE, REPLIES, WEEKLY)
TOPICS = {CADENCE: "irregular_posting", REPLIES: "unanswered_users", WEEKLY: None}
"""The coaching topic each rule stands on (the weekly tip picks its own)."""

GRACE = timedelta(days=1)
"""How long past the planned interval between two posts before the cadence nudge."""
MAX_UNANSWERED = 3
"""Nudges in a row with no reaction before reminders pause themselves."""


@dataclass(frozen=True)
class Due:
    """One nudge whose time has come: its kind, its period key, and since when it is due."""

    kind: str
    period: str
    at: datetime


def _plan_value(flows: Flows, answers: dict[str, Any], field: str) -> Any:
    step = flows.plan_step(field)
    if step is None:
        return None
    value = answers.get(step.id)
    if step.choices:
        choice = step.choice(str(value))
        return choice.value if choice else None
    return value


def targets(flows: Flows, record: OwnerRecord) -> tuple[float | None, float | None]:
    """The plan's posts per week and reply-time target in hours."""
    cadence = _plan_value(flows, record.answers, "cadence")
    reply_hours = _plan_value(flows, record.answers, "reply_time")
    return (
        float(cadence) if isinstance(cadence, int | float) and cadence > 0 else None,
        float(reply_hours) if isinstance(reply_hours, int | float) else None,
    )


def last_post_at(record: OwnerRecord) -> datetime | None:
    """When the owner last logged a post, or finished their plan if they never did."""
    if record.posts:
        return record.posts[-1].moment
    return datetime.fromisoformat(record.completed_at) if record.completed_at else None


def eligible(record: OwnerRecord, prefs: Prefs) -> bool:
    """Whether this owner gets reminders at all."""
    return record.active and record.completed_at is not None and prefs.reminders_on


def scheduled(record: OwnerRecord, flows: Flows, prefs: Prefs, now: datetime) -> list[Due]:
    """Each kind's latest nudge time (the current period), sent or not, ignoring quiet hours."""
    found = []
    cadence, reply_hours = targets(flows, record)
    last = last_post_at(record)
    if cadence and last:
        found.append(Due(CADENCE, "since " + last.isoformat(), last + timedelta(days=7 / cadence) + GRACE))
    waiting = record.waiting
    if reply_hours is not None and waiting.count > 0 and waiting.since:
        since = datetime.fromisoformat(waiting.since)
        found.append(Due(REPLIES, "since " + since.isoformat(), since + timedelta(hours=reply_hours)))
    checkin = prefs.latest_checkin(now)
    completed = datetime.fromisoformat(record.completed_at) if record.completed_at else None
    if completed is not None:
        if checkin < completed:  # no check-in for a week before the plan existed
            checkin = prefs.latest_checkin(checkin + timedelta(days=7, seconds=1))
        found.append(Due(WEEKLY, prefs.week_key(checkin), checkin))
    return found


def _unsent(record: OwnerRecord, dues: list[Due]) -> list[Due]:
    sent = record.nudges.sent
    return [d for d in dues if sent.get(d.kind) != d.period]


def due(record: OwnerRecord, flows: Flows, now: datetime) -> list[Due]:
    """The nudges to send at `now`: due, not yet sent for their period, outside quiet hours."""
    prefs = Prefs.of(record.prefs, record.language)
    if not eligible(record, prefs) or prefs.in_quiet_hours(now):
        return []
    holiday_end = prefs.holiday_end()
    if holiday_end is not None and now < holiday_end:
        return []
    return [d for d in _unsent(record, scheduled(record, flows, prefs, now)) if d.at <= now]


def next_check(record: OwnerRecord, flows: Flows, now: datetime) -> datetime | None:
    """The earliest moment after `now` something may become due (None: nothing can)."""
    prefs = Prefs.of(record.prefs, record.language)
    if not eligible(record, prefs):
        return None
    times = [d.at for d in _unsent(record, scheduled(record, flows, prefs, now))]
    times.append(prefs.latest_checkin(now) + timedelta(days=7))  # next week's check-in
    moment = max(min(times), now)
    holiday_end = prefs.holiday_end()
    if holiday_end is not None and moment < holiday_end:
        moment = holiday_end
    if prefs.in_quiet_hours(moment):
        moment = prefs.quiet_end_after(moment)
    return moment


def note_sent(record: OwnerRecord, kind: str) -> None:
    """Count a reminder of `kind` sent (for `coach stats`), and remember it as the last one."""
    record.nudges.count(kind).sent += 1
    record.nudges.last_kind = kind


def note_reaction(record: OwnerRecord) -> None:
    """The owner wrote: count a reaction to the last reminder if it was unanswered, reset the count."""
    last_kind, record.nudges.last_kind = record.nudges.last_kind, None
    if last_kind and record.nudges.unanswered:
        record.nudges.count(last_kind).reacted += 1
    record.nudges.unanswered = 0
