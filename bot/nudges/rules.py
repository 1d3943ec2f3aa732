"""The nudge rules: which reminders are due for an owner at a given moment, and when to look next.

Everything is computed from the stored record and the moment asked about, so a restart loses
nothing and a preview (`--at`, `--dry-run`) sees exactly what a real run would send. Each nudge
has a period key; a kind is sent at most once per period, and only the latest period counts, so
a long downtime yields at most one nudge per kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bot.flows import Flows
from bot.nudges import budget, review
from bot.nudges.prefs import Prefs
from bot.store.base import OwnerRecord

CADENCE, REPLIES, WEEKLY, PAUSED, FAREWELL = "cadence", "replies", "weekly", "paused", "farewell"
REVIEW = "review"
UNBUDGETED = (WEEKLY, REVIEW)
"""Kinds that never wait for the budget: they carry whatever else is due."""
KINDS = (CADENCE, REPLIES, WEEKLY)
TOPICS = {CADENCE: "irregular_posting", REPLIES: "unanswered_users", WEEKLY: None}
"""The coaching topic each rule stands on (the weekly tip picks its own)."""

GRACE = timedelta(days=1)
"""How long past the planned interval between two posts before the cadence nudge."""
MAX_UNANSWERED = 3
"""Nudges in a row with no reaction before reminders pause themselves."""
MEMO_LATE = timedelta(days=1)
"""How late a weekly memo may still go (after quiet hours, a holiday's end, a downtime)."""
SILENCE = timedelta(days=30)
"""A month without a word after the pause: one polite last message says reminders stop."""


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
    slot = prefs.latest_post_slot(now)
    if prefs.post_time is not None and prefs.post_days:
        # The owner said when they post: remind then, only if nothing was logged that day.
        completed = datetime.fromisoformat(record.completed_at) if record.completed_at else None
        day_start = prefs.at_local(prefs.local(slot).date(), time(0)) if slot else None
        logged = day_start is not None and any(day_start <= p.moment for p in record.posts)
        if slot and completed and completed < slot and not logged:
            found.append(Due(CADENCE, "slot " + slot.isoformat(), slot))
    elif cadence and last:
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
        if now - checkin <= MEMO_LATE:  # a memo missed by more than a day waits for its next day
            found.append(Due(WEEKLY, prefs.week_key(checkin), checkin))
    review_at = review.due_at(record, prefs)
    if review_at is not None:
        found.append(Due(REVIEW, review.period(record), review_at))
    return found


def _unsent(record: OwnerRecord, dues: list[Due]) -> list[Due]:
    sent = record.nudges.sent
    return [d for d in dues if sent.get(d.kind) != d.period]


def farewell_at(record: OwnerRecord, prefs: Prefs) -> datetime | None:
    """When the polite last message is due: a month of silence after the pause (None: not due)."""
    paused_at = record.nudges.sent.get(PAUSED)
    if (
        not record.active
        or not prefs.auto_paused
        or prefs.stopped
        or prefs.paused
        or record.nudges.unanswered < MAX_UNANSWERED
        or not paused_at
        or FAREWELL in record.nudges.sent
    ):
        return None
    return datetime.fromisoformat(paused_at) + SILENCE


def due(record: OwnerRecord, flows: Flows, now: datetime) -> list[Due]:
    """The nudges to send at `now`, to go out together as one message.

    Due, not yet sent for their period, outside quiet hours and holidays, and within the
    budget (`bot.nudges.budget`): the weekly memo always goes and carries whatever else is due.
    """
    prefs = Prefs.of(record.prefs, record.language)
    if prefs.in_quiet_hours(now):
        return []
    farewell = farewell_at(record, prefs)
    if farewell is not None and farewell <= now:
        return [Due(FAREWELL, "once", farewell)]
    if not eligible(record, prefs):
        return []
    holiday_end = prefs.holiday_end()
    if holiday_end is not None and now < holiday_end:
        return []
    found = [d for d in _unsent(record, scheduled(record, flows, prefs, now)) if d.at <= now]
    if any(d.kind in UNBUDGETED for d in found) or budget.reminder_allowed(record, prefs, now):
        return found
    return []


def _next_slot(prefs: Prefs, now: datetime) -> datetime | None:
    if prefs.post_time is None or not prefs.post_days:
        return None
    today = prefs.local(now).date()
    slots = (prefs.at_local(today + timedelta(days=k), prefs.post_time) for k in range(8))
    return next((s for s in slots if s > now and prefs.local(s).weekday() in prefs.post_days), None)


def next_check(record: OwnerRecord, flows: Flows, now: datetime) -> datetime | None:
    """The earliest moment after `now` something may become due (None: nothing can)."""
    prefs = Prefs.of(record.prefs, record.language)
    farewell = farewell_at(record, prefs)
    if farewell is not None:
        return prefs.quiet_end_after(farewell) if prefs.in_quiet_hours(farewell) else farewell
    if not eligible(record, prefs):
        return None
    times = [d.at for d in _unsent(record, scheduled(record, flows, prefs, now))]
    times.append(prefs.latest_checkin(now) + timedelta(days=7))  # next week's check-in
    slot = _next_slot(prefs, now)
    if slot is not None:
        times.append(slot)
    moment = max(min(times), now)
    ready = [d for d in _unsent(record, scheduled(record, flows, prefs, now)) if d.at <= now]
    if (
        ready
        and all(d.kind not in UNBUDGETED for d in ready)
        and not budget.reminder_allowed(record, prefs, now)
    ):
        moment = budget.reopens(record, prefs, now)
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
